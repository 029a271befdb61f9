"""``python -m tui [SCENE] [--phase N] [--set name=value]``: run the game without the CLI (manual testing)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from digital_actors import paths
from digital_actors.config import Settings
from digital_actors.logging import configure_logging
from tui.run import run


@click.command()
@click.argument("scene", required=False)
@click.option("--scenes", "extra", multiple=True, type=click.Path(path_type=Path), help="Extra scene folder.")
@click.option("--phase", "start_phase", type=int, default=None)
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE")
@click.option("--seed", type=int, default=None)
@click.option("--speed", type=float, default=1.0)
def main(scene: str | None, extra: tuple[Path, ...], start_phase: int | None, sets: tuple[str, ...],
         seed: int | None, speed: float) -> None:
    settings = Settings()
    configure_logging(level=settings.log_level, json=settings.log_format_json, env=settings.env,
                      file=paths.log_dir() / "digital-actors.log")  # the game owns the terminal
    overrides = []
    for item in sets:
        name, _, value = item.partition("=")
        overrides.append((name.strip(), float(value)))
    sys.exit(run(settings, extra_scenes=extra, scene=scene, start_phase=start_phase,
                 overrides=overrides, seed=seed, speed=speed))


if __name__ == "__main__":
    main()
