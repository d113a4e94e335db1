"""The media fixtures (a trusted local CA, an https media server) serve evaluations too."""

from tests.media.conftest import local_ca, media_server, settings

__all__ = ["local_ca", "media_server", "settings"]
