"""The launcher's screens: the six init wizard steps, the up progress view, the dashboard."""

from __future__ import annotations

from wizard.tui.screens.data import DataScreen
from wizard.tui.screens.ports import PortsScreen
from wizard.tui.screens.review import ReviewScreen
from wizard.tui.screens.secrets import SecretsScreen
from wizard.tui.screens.services import ServicesScreen
from wizard.tui.screens.welcome import WelcomeScreen

# The wizard's order: the one place it is written (headers and Next/Back follow it).
WIZARD_STEPS = (WelcomeScreen, ServicesScreen, PortsScreen, SecretsScreen, DataScreen, ReviewScreen)
