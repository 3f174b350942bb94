"""Data Docs work offline: no page or stylesheet fetches anything from another host."""

import re
from pathlib import Path

import polars as pl

from expectations.validate import (
    ASSETS_DIR,
    LOCAL_ASSETS,
    build_data_docs,
    bundle_assets,
    external_assets,
)
from popdq.contract import DATASETS

GX_BUCKET = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com"
GX_LIKE_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <link rel="stylesheet"
          href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
    <link rel="stylesheet" type="text/css"
          href="https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/x.css">
    <style>.navbar-brand a { background: url('{GX}/full_logo_dark.png') 0 0 no-repeat; }
    .x { background-image: url(https://example.org/pixel.gif); }</style>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js"
        integrity="sha384-x" crossorigin="anonymous"></script>
    <link rel="shortcut icon" href="../static/images/favicon.ico" type="image/x-icon"/>
  </head>
  <body>
    <img class="NO-CACHE" src="{GX}/logo-long.png?d=20260701T000000Z&dataContextId=0f0f"/>
    <img src="https://example.org/other.png"/>
    <a href="https://greatexpectations.io">Great Expectations</a>
  </body>
</html>
""".replace("{GX}", GX_BUCKET)


def tax_rows() -> pl.DataFrame:
    columns = DATASETS["tax"].columns
    row = {"record_id": "T0", "tax_code": "0100109106", "full_name": "Nguyễn Văn An",
           "date_of_birth": "02/01/1990", "id_number": "001090123456", "province_code": "01",
           "status": "active"}
    return pl.DataFrame([{c: row.get(c) for c in columns}], schema=dict.fromkeys(columns,
                                                                              pl.String))


def local_references(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return re.findall(r"""<(?:link|script|img)\b[^>]*\b(?:href|src)="([^"#]+)\"""", text)


def test_external_assets_finds_what_a_page_would_fetch_and_not_plain_links() -> None:
    found = external_assets(GX_LIKE_PAGE)
    for asset in ("bootstrap.min.css", "filter-control/x.css", "full_logo_dark.png",
                  "pixel.gif", "jquery-3.7.1.min.js", "bootstrap.min.js", "logo-long.png",
                  "other.png"):
        assert any(asset in f for f in found), asset
    assert not any("greatexpectations.io" in f for f in found)  # a link is not fetched
    assert external_assets('<a href="https://example.org">x</a>') == []


def test_bundling_rewrites_a_page_to_local_assets_and_keeps_its_links(tmp_path: Path) -> None:
    site = tmp_path / "site"
    page = site / "expectations" / "popdq" / "tax.html"
    page.parent.mkdir(parents=True)
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "logo-long.png").write_bytes(b"png")
    page.write_text(GX_LIKE_PAGE, encoding="utf-8")
    bundle_assets(site)
    text = page.read_text(encoding="utf-8")
    assert external_assets(text) == []
    assert '<a href="https://greatexpectations.io">' in text
    assert "dataContextId" not in text  # the logo's tracking query is gone with its host
    assert '<link rel="stylesheet" href="../../static/popdq/docs.css">' in text
    assert '<script src="../../static/popdq/docs.js"></script>' in text
    assert "url('../../static/images/logo-long.png')" in text  # the dark logo is not shipped
    for name in LOCAL_ASSETS:
        assert (site / ASSETS_DIR / name).stat().st_size > 1000
    bundle_assets(site)
    assert page.read_text(encoding="utf-8") == text  # a second pass changes nothing


def test_data_docs_reference_only_local_files_that_exist(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    build_data_docs({"tax": tax_rows()}, out)
    index = build_data_docs({"tax": tax_rows()}, out)  # again: pages of both builds
    site = index.parent
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 4  # index, the suite, two validations
    for path in [*pages, *site.rglob("*.css")]:
        assert external_assets(path.read_text(encoding="utf-8")) == [], path
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.count("static/popdq/docs.css") == 1, page
        for ref in local_references(page):
            assert (page.parent / ref.split("?")[0]).resolve().is_file(), (page, ref)
    assert "how_to_create_a_new_checkpoint" not in index.read_text(encoding="utf-8")
