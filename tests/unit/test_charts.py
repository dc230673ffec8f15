"""The SVG charts: well-formed XML, escaped text, the right number of marks, no inline style."""

import xml.etree.ElementTree as ET

import pytest
from defusedxml.ElementTree import fromstring

from lms.domain.charts import histogram_svg, scatter_svg
from lms.domain.item_analysis import Bin, analyse, histogram

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & "quotes"'


def _parse(svg: str) -> ET.Element:
    root = fromstring(svg)  # xml.etree, with DTDs and entities refused
    assert root.tag == f"{SVG}svg"
    for element in root.iter():
        assert "style" not in element.attrib
        assert element.tag not in (f"{SVG}script", f"{SVG}style", f"{SVG}foreignObject")
        assert not any(name.startswith("on") for name in element.attrib)
    return root


def _classes(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def test_histogram_is_svg_with_one_bar_per_bin_and_accessible_text():
    bins = histogram([5, 15, 15, 55, 100, 100, 100])
    svg = histogram_svg(bins, title="Scores of exam 3", x_label="Score (%)",
                        y_label="Attempts", description="7 attempts", id_prefix="h3")
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "h3-title h3-desc"
    assert root.find(f"{SVG}title").text == "Scores of exam 3"
    assert root.find(f"{SVG}title").get("id") == "h3-title"
    assert root.find(f"{SVG}desc").text == "7 attempts"
    bars = _classes(root, "chart-bar")
    assert len(bars) == 10
    assert [bar.find(f"{SVG}title").text for bar in bars][:2] == ["0–10: 1", "10–20: 2"]
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[9] == max(heights) and heights[1] == pytest.approx(heights[9] * 2 / 3)
    assert heights[2] == 0
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Score (%)" in texts and "Attempts" in texts and "100" in texts


def test_histogram_text_is_escaped():
    svg = histogram_svg([Bin(0, 50, 2), (50, 100, 1)], title=NASTY, x_label=NASTY,
                        y_label="y", bar_titles=[NASTY, "b"])
    assert "<script>" not in svg
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == NASTY
    assert [bar.find(f"{SVG}title").text for bar in _classes(root, "chart-bar")] == [NASTY, "b"]
    assert NASTY in [t.text for t in root.iter(f"{SVG}text")]
    assert root.get("aria-labelledby") == "histogram-title"  # no description, no desc


def test_histogram_of_nothing_still_parses():
    root = _parse(histogram_svg(histogram([]), title="t", x_label="x", y_label="y"))
    assert all(float(bar.get("height")) == 0 for bar in _classes(root, "chart-bar"))
    _parse(histogram_svg([], title="t", x_label="x", y_label="y"))


def test_scatter_draws_each_placeable_item_once_and_marks_the_flagged():
    points = [(.5, .5, "Q1"), (.1, .6, "Q2 hard"), (.97, .4, "Q3 easy"), (.6, -.3, "Q4 bad"),
              (.6, None, "Q5 no D"), (None, None, "Q6 nobody"), (.5, .19, "Q7 low")]
    root = _parse(scatter_svg(points, title="Items", x_label="Facility",
                              y_label="Discrimination", zone_title="Check these items",
                              id_prefix="s1"))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 5
    titles = [c.find(f"{SVG}title").text for c in circles]
    assert titles[0] == "Q1 (0.50, 0.50)"
    flagged = [c.find(f"{SVG}title").text.split(" (")[0] for c in _classes(root, "flagged")]
    assert flagged == ["Q2 hard", "Q3 easy", "Q4 bad", "Q7 low"]
    zones = _classes(root, "chart-zone")
    assert len(zones) == 3
    assert all(z.find(f"{SVG}title").text == "Check these items" for z in zones)


def test_scatter_places_points_by_value_and_keeps_them_inside():
    root = _parse(scatter_svg([(0, -1, "low"), (1, 1, "high"), (1.4, 2, "outside")],
                              title="t", x_label="x", y_label="y"))
    low, high, outside = (
        (float(c.get("cx")), float(c.get("cy"))) for c in root.iter(f"{SVG}circle"))
    assert low[0] < high[0] and low[1] > high[1]  # SVG y grows downwards
    assert outside == high


def test_scatter_escapes_labels_and_refuses_a_bad_id():
    svg = scatter_svg([(.5, .5, NASTY)], title=NASTY, x_label="x", y_label="y")
    assert "<script>" not in svg
    root = _parse(svg)
    assert root.find(f"{SVG}circle/{SVG}title").text == f"{NASTY} (0.50, 0.50)"
    with pytest.raises(ValueError):
        scatter_svg([], title="t", x_label="x", y_label="y", id_prefix='a" onload="x')


def test_charts_from_an_analysis():
    analysis = analyse([[1, 0, 1], [1, 1, 0], [0, 0, 1], [1, 1, 1], [0, 0, 0]], [1, 1, 1])
    points = [(i.facility, i.discrimination, f"Q{i.index + 1}") for i in analysis.items]
    root = _parse(scatter_svg(points, title="t", x_label="x", y_label="y"))
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    root = _parse(histogram_svg(analysis.histogram(), title="t", x_label="x", y_label="y"))
    assert sum(int(b.find(f"{SVG}title").text.split(": ")[1])
               for b in _classes(root, "chart-bar")) == 5
