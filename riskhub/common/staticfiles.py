"""The static files storage of production: hashed names, compressed copies, and
vendored files served exactly as vendored."""

from __future__ import annotations

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

# Brotli's top quality (11) spends ~30 s on the 5 MB Plotly bundle alone for ~10%
# fewer bytes than quality 9 (~1 s): the image build and CI would take minutes.
BROTLI_QUALITY = 9


def _without_source_maps(patterns: Any) -> Any:
    """Django's (extension, rules) pairs minus the rules for sourceMappingURL."""

    def is_source_map(pattern: Any) -> bool:
        regex = pattern[0] if isinstance(pattern, tuple | list) else pattern
        return "sourceMappingURL" in str(regex)

    return tuple(
        (extension, tuple(p for p in rules if not is_source_map(p)))
        for extension, rules in patterns
    )


class _Compressor(Compressor):
    @staticmethod
    def compress_brotli(data: bytes) -> bytes:
        import brotli

        return bytes(brotli.compress(data, quality=BROTLI_QUALITY))


class VendoredManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Leaves `sourceMappingURL` comments alone.

    Vendored bundles (Bootstrap) end with a comment naming a `.map` file that we do
    not ship. Django's manifest storage rewrites that comment to the map's hashed name
    and, the map being absent, `collectstatic` fails with MissingFileError. A source
    map is only fetched by a browser's developer tools, so the comment is kept as
    written: every vendored file is served byte for byte as vendored, and `url()` and
    `@import` references in our CSS are still rewritten and still must exist.
    """

    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return _Compressor(**kwargs)
