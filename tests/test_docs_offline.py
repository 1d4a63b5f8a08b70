"""docs/check_offline.py: the site's check that no page loads from the network.

``docs/build.sh`` runs it on the built site; here it reads tiny pages written
to ``tmp_path``, so neither Sphinx nor a build is needed.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location(
    "check_offline", ROOT / "docs" / "check_offline.py"
)
check_offline = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_offline)


def page(head="", body=""):
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def write_site(root, pages):
    for name, html in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html)
    return root


LOCAL = page(
    '<script src="_static/mathjax/tex-chtml.js" defer></script>'
    '<link rel="stylesheet" href="_static/theme.css?digest=1" />'
    '<link rel="next" href="https://example.org/next.html" />',
    '<a href="https://github.com/">a link is no load</a>'
    '<img src="_images/figure.png" />',
)


@pytest.mark.parametrize(
    "html",
    [
        LOCAL,
        # Inline code with no URL, and the theme's inline script.
        page('<script>document.documentElement.dataset.mode = "";</script>'),
        page('<script>window.MathJax = {"options": {"x": "math"}}</script>'),
        page("<style>.x { background: url(_static/x.png) }</style>"),
    ],
)
def test_a_page_with_local_files_only_passes(html):
    assert check_offline.find_network_loads(html) == []


@pytest.mark.parametrize(
    ("html", "kind", "url"),
    [
        (
            page('<script src="https://cdn.jsdelivr.net/npm/mathjax@4/tex.js">'),
            "script",
            "https://cdn.jsdelivr.net/npm/mathjax@4/tex.js",
        ),
        (
            page('<script defer src="http://example.org/a.js"></script>'),
            "script",
            "http://example.org/a.js",
        ),
        (  # protocol-relative: the network all the same
            page('<script src="//cdn.example.org/lib.js"></script>'),
            "script",
            "//cdn.example.org/lib.js",
        ),
        (
            page('<link href="HTTPS://cdn.example.org/s.css" rel="stylesheet">'),
            "stylesheet",
            "HTTPS://cdn.example.org/s.css",
        ),
        (
            page('<link rel="preload" as="font" href="//fonts.example.org/f.woff2">'),
            "link",
            "//fonts.example.org/f.woff2",
        ),
        (  # a MathJax configuration that loads from a CDN
            page(
                "<script>window.MathJax = {loader: {paths: "
                "{mathjax: 'https://cdn.example.org/mathjax'}}}</script>"
            ),
            "URL in inline script",
            "https://cdn.example.org/mathjax",
        ),
        (
            page("<style>@import url('https://fonts.example.org/css');</style>"),
            "url() in inline style",
            "https://fonts.example.org/css",
        ),
        (
            page(body='<div style="background: url(//img.example.org/x.png)">'),
            "url() in inline style",
            "//img.example.org/x.png",
        ),
    ],
)
def test_a_page_that_loads_from_the_network_fails(html, kind, url):
    assert check_offline.find_network_loads(html) == [(kind, url)]


def test_link_tags_inside_a_style_element_are_no_load():
    # sphinx-gallery's timing table writes them so; a browser reads them as CSS.
    html = page('<style scoped><link href="https://x.org/a.css" /></style>')
    assert check_offline.find_network_loads(html) == []


def test_local_stylesheets_and_configuration_scripts_are_read(tmp_path):
    static = tmp_path / "_static"
    static.mkdir()
    (static / "theme.css").write_text(
        '@import "fonts.css";\n/* url(https://in.a/comment) */ .a { color: red }'
    )
    (static / "fonts.css").write_text(
        "@font-face { src: url('https://fonts.example.org/f.woff2') }"
    )
    (static / "documentation_options.js").write_text(
        "const DOCUMENTATION_OPTIONS = {SRC: 'https://cdn.example.org/x.js'};"
    )
    # Library code is not searched: MathJax names CDNs it never uses here.
    (static / "lib.js").write_text("var fallback = 'https://cdn.example.org/';")
    html = page(
        '<link rel="stylesheet" href="_static/theme.css?v=1" />'
        '<script src="_static/documentation_options.js?v=2"></script>'
        '<script src="_static/lib.js"></script>'
    )
    (tmp_path / "index.html").write_text(html)
    found = check_offline.find_network_loads(html, tmp_path / "index.html")
    assert found == [
        ("url() in fonts.css", "https://fonts.example.org/f.woff2"),
        ("URL in documentation_options.js", "https://cdn.example.org/x.js"),
    ]


def test_main_passes_a_local_site(tmp_path, capsys):
    write_site(tmp_path, {"index.html": LOCAL, "api/page.html": page()})
    assert check_offline.main([str(tmp_path)]) == 0
    assert "2 pages, none loads" in capsys.readouterr().out


def test_main_fails_naming_the_page_and_the_url(tmp_path, capsys):
    write_site(
        tmp_path,
        {
            "index.html": LOCAL,
            "math.html": page('<script src="https://cdn.example.org/mj.js">'),
            "api/x.html": page('<script src="//cdn.example.org/lib.js"></script>'),
        },
    )
    assert check_offline.main([str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'math.html'}: script from the network: " in err
    assert "https://cdn.example.org/mj.js" in err
    assert f"{tmp_path / 'api' / 'x.html'}: script from the network: " in err
    assert "//cdn.example.org/lib.js" in err
    assert "2 of 3 pages load from the network" in err


def test_main_fails_on_a_site_that_was_not_built(tmp_path, capsys):
    assert check_offline.main([str(tmp_path / "missing")]) == 2
    assert "no HTML pages" in capsys.readouterr().err
