"""The operator's commands of `heliograph` (issue 20.5), one module per command group.

cli.py holds `serve`, `settings` and the `create` commands; `register_commands` adds these
to its groups, so that each command lives next to the code it needs and cli.py stays small.
"""

from __future__ import annotations

import click

from heliograph.cli_ops import doctor, export, import_logs, keys, migrate, orgs, replay, users


def register_commands(main: click.Group) -> None:
    """Add the operator's commands to the `heliograph` group and its `keys`/`users` groups."""
    key_group = main.commands["keys"]
    user_group = main.commands["users"]
    assert isinstance(key_group, click.Group) and isinstance(user_group, click.Group)
    key_group.add_command(keys.list_keys)
    key_group.add_command(keys.revoke_key)
    user_group.add_command(users.list_users)
    user_group.add_command(users.disable_user)
    main.add_command(orgs.orgs)
    main.add_command(migrate.migrate)
    main.add_command(doctor.doctor)
    main.add_command(export.export)
    main.add_command(replay.replay)
    main.add_command(import_logs.import_logs)
