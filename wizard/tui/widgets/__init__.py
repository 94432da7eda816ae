"""Small widgets the launcher's screens are built from."""
