"""`assistant fetch` and `assistant add-url`: save web pages as cited snapshots.

Each source gets one result line (or one JSON object); a failed source is
reported and the rest still fetch. Exit status 1 when any source failed.
"""

from __future__ import annotations

from typing import Any

import click

from assistant.cli.output import echo_json, handle_errors
from assistant.config import Settings
from assistant.ingest.fetch import FetchResult


class NetworkType(click.ParamType):
    """An IP address or network in CIDR form, for ``--allow-network``."""

    name = "NETWORK"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import ipaddress

        try:
            return ipaddress.ip_network(str(value).strip("[]"), strict=False)
        except ValueError:
            self.fail(f"{value!r} is not an IP address or network (such as 127.0.0.1 or 192.168.1.0/24).", param, ctx)


allow_network = click.option(
    "--allow-network",
    "networks",
    multiple=True,
    type=NetworkType(),
    help="Also fetch from this non-public address or network (loopback, private, link-local), "
    "such as 127.0.0.1 for a local server; repeatable. Without it only public addresses are fetched.",
)


def _allowing(settings: Settings, networks: tuple[Any, ...]) -> Settings:
    if not networks:
        return settings
    return settings.model_copy(update={"fetch_allowed_networks": [*settings.fetch_allowed_networks, *networks]})


def _report(results: list[FetchResult], as_json: bool) -> None:
    if as_json:
        echo_json([r.as_dict() for r in results])
    else:
        for r in results:
            if r.ok:
                click.echo(f"{r.status:<9}  {r.snapshot_id}  {r.url}  ({r.chars:,} characters in {r.path})")
                if r.message:  # read, with something worth knowing (a legacy encoding)
                    click.echo(f"{'':<9}  note: {r.message}")
            else:
                click.echo(f"{r.status:<9}  {r.message}")
        failed = sum(not r.ok for r in results)
        changed = sum(r.status in {"added", "updated"} for r in results)
        summary = f"{len(results) - failed} of {len(results)} fetched, {changed} new or changed."
        if changed:
            summary += " Run `assistant index` to index them."
        click.echo(summary, err=bool(failed))
    if any(not r.ok for r in results):
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE_ID]...")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array with a result per source.")
@allow_network
@click.pass_obj
@handle_errors
def fetch(settings: Settings, source_ids: tuple[str, ...], as_json: bool, networks: tuple[Any, ...]) -> None:
    """Save the readable text of each manifest source's url under corpus/snapshots/.

    Only the page's main text is kept. A page whose text has not changed is
    left as it is; a page that cannot be fetched keeps its previous snapshot.
    Run `assistant index` afterwards.

    \b
    Example:
        assistant fetch                  # every source with a url
        assistant fetch rogers-2025      # just this one
    """
    from assistant.ingest.fetch import Fetcher

    settings = _allowing(settings, networks)
    fetcher = Fetcher(settings)
    try:
        results = fetcher.fetch(source_ids)
    finally:
        fetcher.close()
    if not results and not as_json:
        click.echo(f"No source in {settings.manifest_path} has a url; add one with `assistant add-url URL`.")
        return
    _report(results, as_json)


@click.command("add-url")
@click.argument("url")
@click.option(
    "--id", "source_id", help="Source id (lowercase letters, digits, '-', '.', '_'); made from the URL if omitted."
)
@click.option("--json", "as_json", is_flag=True, help="Print the fetch result as one JSON object.")
@allow_network
@click.pass_obj
@handle_errors
def add_url(settings: Settings, url: str, source_id: str | None, as_json: bool, networks: tuple[Any, ...]) -> None:
    """Fetch a web page and add it to sources.toml as a "web snapshot".

    The entry is added only when the page could be fetched and read; a user
    name and password in the URL are left out.

    \b
    Example:
        assistant add-url https://example.org/self-compassion --id example-self-compassion
    """
    from assistant.ingest.fetch import Fetcher

    settings = _allowing(settings, networks)
    fetcher = Fetcher(settings)
    try:
        result = fetcher.add_url(url, source_id)
    finally:
        fetcher.close()
    if as_json:
        echo_json(result.as_dict())
        if not result.ok:
            raise click.exceptions.Exit(1)
        return
    if result.ok:
        click.echo(f"Added {result.source_id!r} to {settings.manifest_path}.")
    else:
        click.echo(f"Not added to {settings.manifest_path}: fix what is below, then run add-url again.", err=True)
    _report([result], as_json=False)
