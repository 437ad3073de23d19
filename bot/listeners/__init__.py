"""Listeners by kind; each module's `register(app, deps)` adds its own, called in one place (bot.app)."""

from . import actions, commands, events, panopto

MODULES = (commands, actions, events, panopto)


def register_all(app, deps) -> None:
    """Register every listener module on the Bolt app."""
    for module in MODULES:
        module.register(app, deps)
