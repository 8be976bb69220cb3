"The built site, opened in headless Chromium as a visitor would: every page, every link, image, table and interactive figure."
import re, shutil, tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse
import pytest
from conftest import ROOT, cli
from loss_landscape import runs

CHROMIUM = dict(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])

# Tables: one wider than <main> must sit in a box of its own that scrolls sideways (and is no wider than <main>).
WIDE_TABLES = """() => {
  const main = document.querySelector('main'), bad = [];
  for (const t of main.querySelectorAll('table')) {
    if (t.scrollWidth <= main.clientWidth + 1) continue;
    let box = t.parentElement, ok = false;
    while (box && box !== main) {
      const o = getComputedStyle(box).overflowX;
      if ((o === 'auto' || o === 'scroll') && box.clientWidth <= main.clientWidth + 1) { ok = true; break; }
      box = box.parentElement;
    }
    if (!ok) bad.push(t.scrollWidth + 'px in ' + main.clientWidth + 'px');
  }
  return bad;
}"""


def site_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "assets")


def inside(url: str, site: Path) -> bool:
    "A request the site may make: one of its own files, or data the page made itself."
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"): return True
    return parsed.scheme == "file" and Path(unquote(parsed.path)).resolve().is_relative_to(site.resolve())


def absolute_paths(text: str, roots) -> list[str]:
    "Filesystem paths of this machine found in a page's HTML."
    return [r for r in roots if r in text]


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(**CHROMIUM)
        try: yield browser
        finally:
            for context in browser.contexts: context.close()
            browser.close()


def open_page(browser, site: Path, width: int = 1280):
    "A page that records console errors and every request leaving the site (those are also blocked)."
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.errors, page.outside = [], []
    page.on("console", lambda m: page.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(f"{page.url}: {e}"))
    page.on("request", lambda r: None if inside(r.url, site) else page.outside.append(f"{page.url} -> {r.url}"))
    page.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: (page.outside.append(route.request.url), route.abort()))
    return page


def has_figure(html: str) -> bool: return 'class="plotly-figure"' in html  # an interactive figure's element, not the CSS rule


IMAGES_LOADED = "() => [...document.images].every(image => image.complete)"  # loaded, or failed to
LATE_LOADS = ("<script", "<iframe", "@font-face", "url(")  # what could still load, or fail, after a page's images are in


def test_every_page_in_headless_chromium(smoke_pipeline, chromium):
    """No console error, no request leaving the site, images load, internal links resolve, unique sidebar titles, no machine
    path, no clipped table. Each page is read once its images are in: a page with interactive figures is loaded in full,
    its figures drawn, by the next test (which fails on their console errors and outside requests); any other page must
    have nothing that would load later."""
    site = smoke_pipeline / "site"
    pages = site_pages(site)
    assert len(pages) > 30
    roots = [str(ROOT), str(smoke_pipeline.parent), tempfile.gettempdir().rstrip("/") + "/"]
    page, problems = open_page(chromium, site), []
    for html in pages:
        response = page.goto(html.as_uri(), wait_until="domcontentloaded")
        assert response is None or response.ok, html
        page.wait_for_function(IMAGES_LOADED)
        name = html.relative_to(site)
        problems += [f"{name}: image {src[:80]} did not load" for src, width in
                     page.eval_on_selector_all("img", "els => els.map(e => [e.src, e.naturalWidth])") if width == 0]
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlparse(href)
            if url.scheme == "file" and not Path(unquote(url.path)).exists(): problems.append(f"{name}: broken link {href}")
        titles = Counter(page.eval_on_selector_all("nav.sidebar a", "els => els.map(e => e.textContent.trim())"))
        problems += [f"{name}: {n} sidebar entries titled {t!r}" for t, n in titles.items() if n > 1]
        text = html.read_text()
        problems += [f"{name}: shows the path {r}" for r in absolute_paths(text, roots)]
        if not has_figure(text): problems += [f"{name}: {late} without a figure" for late in LATE_LOADS if late in text]
        problems += [f"{name}: table {w} without its own scroll" for w in page.evaluate(WIDE_TABLES)]
        navbar = page.eval_on_selector_all("header nav a", "els => els.map(e => e.textContent)")
        if navbar != ["Chapters", "Studies", "Findings"]: problems.append(f"{name}: navbar {navbar}")
    assert not problems, problems[:10]
    assert not page.errors, page.errors[:5]
    assert not page.outside, page.outside[:5]
    index = (site / "index.html").read_text()
    assert "<h4>Chapters</h4>" in index and "<h4>Studies</h4>" in index and "<h4>Configurations</h4>" in index
    assert (site / "studies_depth.html").is_file() and "<img" in (site / "studies_depth.html").read_text()


def hover(page, figure, box, fx: float, fy: float, pattern: str) -> bool:
    "Move the mouse to a point of `box` and wait (up to 5 s) for a hover label of `figure` matching `pattern`."
    page.mouse.move(0, 0)
    page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    for _ in range(25):
        if re.search(pattern, " ".join(figure.locator(".hovertext").all_text_contents())): return True
        page.wait_for_timeout(200)
    return False


def test_interactive_figures_render_and_hover(smoke_pipeline, chromium):
    "Every Plotly figure draws (WebGL canvas or SVG); hovering a loss surface, from above and in 3-D, shows its loss; plotly.js comes from the site."
    site = smoke_pipeline / "site"
    shown = [p for p in site_pages(site) if has_figure(p.read_text())]
    assert {p.relative_to(site).parts[0] for p in shown} >= {"configs", "comparisons.html", "06_slices.html", "studies_depth.html"}
    page, surfaces, on_configs = open_page(chromium, site), 0, 0
    for html in shown:
        page.goto(html.as_uri(), wait_until="load")
        if page.locator(".plotly-figure").count() == 0: continue  # the class named in a chapter's code, not a figure
        drawn = "() => [...document.querySelectorAll('.plotly-figure')].every(f => f.querySelector('svg.main-svg'))"
        try: page.wait_for_function(drawn, timeout=20_000)
        except Exception: raise AssertionError(f"{html.name}: a figure did not draw")
        assert page.evaluate("() => [...document.scripts].some(s => s.src.endsWith('assets/plotly.min.js'))"), html
        for figure in page.locator(".plotly-figure").all():
            figure.scroll_into_view_if_needed()
            if figure.locator(".gl-container canvas").count() == 0: continue
            surfaces += 1  # a surface: WebGL canvas in 3-D, SVG heat map beside it
            on_configs += html.relative_to(site).parts[0] == "configs"
            box = figure.locator(".nsewdrag").first.bounding_box()
            assert hover(page, figure, box, 0.3, 0.6, r"loss \d"), f"{html.name}: no loss on hover"
            scene = figure.locator(".gl-container #scene").bounding_box()
            assert hover(page, figure, scene, 0.5, 0.5, r"loss \d"), f"{html.name}: no loss on 3-D hover"
            if surfaces == 1:  # the buttons switch to the test loss
                figure.locator(".updatemenu-button", has_text="test loss").click()
                assert hover(page, figure, box, 0.3, 0.6, r"test.*loss \d|loss \d.*test"), f"{html.name}: the test loss is not shown"
    experiments = smoke_pipeline / "experiments"
    assert on_configs == len([r for r in runs.find_runs(experiments) if runs.load_run(r).status == "completed"])  # one per probed seed
    assert not page.errors, page.errors[:5]
    assert not page.outside, page.outside[:5]


def test_narrow_screen_gives_the_text_the_width(smoke_pipeline, chromium):
    "At 420 px the main text takes at least 80% of the width on every page."
    site = smoke_pipeline / "site"
    page, narrow = open_page(chromium, site, width=420), []
    for html in site_pages(site):
        page.goto(html.as_uri(), wait_until="domcontentloaded")
        share = page.evaluate("() => document.querySelector('main').getBoundingClientRect().width / window.innerWidth")
        if share < 0.8: narrow.append(f"{html.relative_to(site)}: {share:.0%}")
    assert not narrow, narrow[:5]


def test_a_page_per_configuration(smoke_pipeline):
    "Every group of seeds has its page where `runs.group_page` says, in the sidebar, with its numbers, curves and decision functions."
    site = smoke_pipeline / "site"
    groups = sorted({runs.group_of(r) for r in runs.find_runs(smoke_pipeline / "experiments")})
    assert len(groups) >= 2
    index = (site / "index.html").read_text()
    for group in groups:
        page = site / runs.group_page(group)
        assert page.is_file(), page
        assert f'href="{runs.group_page(group)}"' in index
        text = page.read_text()
        for part in ("Numbers", "Training curves", "Loss surfaces", "Decision functions along paths", "seed=0", "seed=1"): assert part in text, (page, part)
    studies = [p for p in site.glob("*study*.html") if "configs/" in p.read_text()]
    for study in studies:  # where the studies link to the configurations, every group is linked
        text = study.read_text()
        assert all(runs.group_page(g).split("/", 1)[1] in text for g in groups), study


def test_a_missing_result_is_named_on_its_page(smoke_pipeline, tmp_path):
    "A run without one result: its configuration's page names the file and the command that produces it; the site still builds."
    for name in ("experiments", "figures"): shutil.copytree(smoke_pipeline / name, tmp_path / name)
    run = runs.find_runs(tmp_path / "experiments")[0]
    (runs.figures_dir(run, tmp_path / "experiments", tmp_path / "figures") / "sharpness/sharpness.json").unlink()
    out = cli("site", "--experiments-root", tmp_path / "experiments", "--figures-root", tmp_path / "figures", "--reports-root", tmp_path / "r",
              "--out", tmp_path / "site", "--no-studies", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    text = (tmp_path / "site" / runs.group_page(runs.group_of(run))).read_text()
    assert f"<strong>{run.name}</strong> is missing <code>sharpness/sharpness.json</code>" in text and "loss-landscape probe" in text
