"""``wizard.commands.COMMANDS`` is the one list of commands: none can be missed, none built twice."""

from __future__ import annotations

import argparse
import pkgutil

import wizard.commands
from wizard.cli import build_parser, command_modules
from wizard.commands import COMMANDS


def registered_words(modules) -> dict[str, str]:
    """command word -> the module whose ``register`` adds it."""
    words = {}
    for module in modules:
        subparsers = argparse.ArgumentParser().add_subparsers()
        module.register(subparsers, argparse.ArgumentParser(add_help=False))
        words.update({word: module.__name__.rpartition(".")[2] for word in subparsers.choices})
    return words


def test_every_command_module_is_in_the_table():
    modules = {info.name for info in pkgutil.iter_modules(wizard.commands.__path__)}
    with_register = {name for name in modules
                     if hasattr(__import__(f"wizard.commands.{name}", fromlist=["register"]), "register")}
    assert with_register == set(COMMANDS.values())


def test_the_table_names_the_module_that_registers_each_word():
    assert registered_words(command_modules()) == COMMANDS


def test_a_known_command_builds_only_its_own_parser():
    parser = build_parser(["down", "--volumes"])
    choices = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction)).choices
    assert set(choices) == {"up", "down", "restart"}


def test_help_lists_commands_in_the_table_order():
    parser = build_parser(["--help"])
    choices = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction)).choices
    assert list(choices) == list(COMMANDS)
