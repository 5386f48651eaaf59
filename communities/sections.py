"""What other apps add to a community's pages: the public profile and the workspace page.

The profile shows the community's ratings and its service networks, but the registry must
not import the apps that keep them (imports flow one way: ratings and services import
communities, never the reverse). So each of those apps registers a provider from its
AppConfig.ready(), as the monthly returns' prefill does (communities.returns.prefill). A
provider is a callable `(community) -> {template variable: value}` that runs a fixed number of
queries; the page's template includes the app's partial, which reads those variables.
"""

from collections.abc import Callable

PROFILE = "profile"
WORKSPACE = "workspace"

Provider = Callable[[object], dict]

_providers: dict[str, list[Provider]] = {PROFILE: [], WORKSPACE: []}


def register(provider: Provider, *, pages: tuple[str, ...]) -> None:
    """Add `provider` to each of `pages`; registering the same one twice keeps one."""
    for page in pages:
        if provider not in _providers[page]:
            _providers[page].append(provider)


def context(page: str, community) -> dict:
    """The template variables every registered provider gives for `community` on `page`."""
    variables = {}
    for provider in _providers[page]:
        variables.update(provider(community))
    return variables
