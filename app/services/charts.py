"""Server-rendered SVG charts, the same markup for pages and PDFs.

Every chart is an accessible image (``role="img"``, ``<title>``, ``<desc>`` listing the plotted
figures) that reads in black and white: series differ by grey level or hatching and by marker and
dash, and a legend names them. Text is drawn in "Noto Sans", the face the app and the PDF
stylesheet bundle. Output is deterministic: element ids derive from a hash of the chart's data.

Figures are formatted in the current Babel locale (a request's, or ``force_locale``); values may be
ints, floats, str of a Decimal ("17.33") or None (no bar, "—").
"""

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol
from flask_babel import get_locale
from markupsafe import Markup, escape

FONT_FAMILY = "Noto Sans"
FONT_SIZE = 11
CHAR_WIDTH = 0.56  # average advance of Noto Sans, in em: an estimate, there are no font metrics here
INK = "#000"
GRID = "#c8c8c8"
#: fills by series: grey levels alternating with hatchings, each outlined in black
FILLS = ("#404040", "hatch", "#b4b4b4", "cross", "#ffffff", "dots")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")
MARKERS = ("circle", "square", "triangle", "diamond", "circle-open", "square-open")
NO_VALUE = "—"
AXIS_TITLE = ' font-weight="bold"'  # not italic: no Noto Sans Italic is bundled
MAX_FLOAT_PLACES = 2


def to_decimal(value) -> Decimal | None:
    """An int, float or Decimal string as a Decimal; None for None or anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(repr(value) if isinstance(value, float) else str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def figure_places(values: Sequence) -> int:
    """Fraction digits to show for these figures: the most any of them has, floats at most 2."""
    places = 0
    for value in values:
        figure = to_decimal(value)
        if figure is None or isinstance(value, int):
            continue
        digits = max(0, -figure.as_tuple().exponent)
        places = max(places, min(digits, MAX_FLOAT_PLACES) if isinstance(value, float) else digits)
    return places


def format_figure(value, places: int = 0) -> str:
    """A figure with grouping and ``places`` fraction digits in the current locale (vi: 1.486,
    17,33); None and non-numbers give "—". Rounded half up, as Babel's "#,##0.00" pattern would
    show it, but laid out by Python's own formatting with the locale's symbols (a report shows
    hundreds of figures; Babel's pattern engine took ~10 ms of each PDF's HTML)."""
    figure = to_decimal(value)
    if figure is None:
        return NO_VALUE
    if places:
        figure = figure.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    elif not isinstance(value, int):
        figure = figure.quantize(Decimal(1), ROUND_HALF_UP)
    return f"{figure:,.{places}f}".translate(_number_symbols(str(get_locale() or "vi")))


@lru_cache(maxsize=16)
def _number_symbols(locale: str) -> dict[int, str]:
    """Python's "," and "." (and "-") → the locale's group and decimal symbols (and minus)."""
    return str.maketrans(
        {",": get_group_symbol(locale), ".": get_decimal_symbol(locale), "-": get_minus_sign_symbol(locale)}
    )


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    return len(text) * size * CHAR_WIDTH


def _fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """The text, cut with an ellipsis if it would be wider than ``width``."""
    if _text_width(text, size) <= width:
        return text
    keep = max(1, int(width / (size * CHAR_WIDTH)) - 1)
    return text[:keep].rstrip() + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high], 0 included."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    tick = start
    while tick < high + step * 0.999:
        ticks.append(round(tick, 10))
        tick += step
    return ticks


def _tick_texts(ticks: list[float]) -> list[str]:
    """Tick values with as many fraction digits as the step needs: 0, 5, 10 or 0,0, 2,5, 5,0."""
    places = max(max(0, -Decimal(repr(tick)).normalize().as_tuple().exponent) for tick in ticks)
    return [format_figure(tick, places) for tick in ticks]


@dataclass(frozen=True)
class Series:
    name: str
    values: list


def _series(series: Sequence[dict]) -> list[Series]:
    return [Series(str(item.get("name", "")), list(item.get("values") or [])) for item in series]


def _chart_id(kind: str, title: str, labels: Sequence, series: list[Series]) -> str:
    data = repr((kind, title, [str(label) for label in labels], [(s.name, s.values) for s in series]))
    return "chart-" + hashlib.sha1(data.encode("utf-8")).hexdigest()[:10]


def _defs(chart_id: str) -> str:
    """Hatch patterns for the fills that are not plain grey levels."""
    return (
        f'<defs><pattern id="{chart_id}-hatch" patternUnits="userSpaceOnUse" width="5" height="5"'
        ' patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="5" stroke="{INK}" stroke-width="1.6"/></pattern>'
        f'<pattern id="{chart_id}-cross" patternUnits="userSpaceOnUse" width="6" height="6">'
        '<rect width="6" height="6" fill="#e6e6e6"/>'
        f'<path d="M0 0L6 6M6 0L0 6" stroke="{INK}" stroke-width="0.7"/></pattern>'
        f'<pattern id="{chart_id}-dots" patternUnits="userSpaceOnUse" width="5" height="5">'
        f'<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1" fill="{INK}"/>'
        "</pattern></defs>"
    )


def _fill(chart_id: str, index: int) -> str:
    fill = FILLS[index % len(FILLS)]
    return fill if fill.startswith("#") else f"url(#{chart_id}-{fill})"


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", size: float = FONT_SIZE, extra: str = ""
) -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{_num(size)}"{extra}>'
        f"{escape(text)}</text>"
    )


def _legend(
    chart_id: str, series: list[Series], width: float, top: float, *, lines: bool
) -> tuple[str, float]:
    """The legend rows from ``top``; returns the markup and the height used."""
    if len(series) < 2 and not lines:
        return "", 0.0
    parts, x, y = [], 10.0, top
    for index, item in enumerate(series):
        item_width = 26 + _text_width(item.name) + 16
        if x > 10 and x + item_width > width - 10:
            x, y = 10.0, y + 18
        if lines:
            parts.append(_line_swatch(index, x, y + 6))
        else:
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="14" height="12" fill="{_fill(chart_id, index)}"'
                f' stroke="{INK}" stroke-width="0.6"/>'
            )
        parts.append(_text(x + 20 + (6 if lines else 0), y + 10, item.name))
        x += item_width
    return '<g class="legend">' + "".join(parts) + "</g>", y + 18 - top


def _header(chart_id: str, title: str, desc: str, width: float, height: float, *, fluid: bool = False) -> str:
    """The <svg> with its title and description; ``fluid``: as wide as its container."""
    size = 'width="100%"' if fluid else f'width="{_num(width)}" height="{_num(height)}"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" {size}'
        f' viewBox="0 0 {_num(width)} {_num(height)}"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT_FAMILY}"'
        f' font-size="{FONT_SIZE}" fill="{INK}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _describe(title: str, labels: Sequence, series: list[Series], places: int, unit: str) -> str:
    """The data in words: "Title. Label: Series 16,5 %, Series 9,1 %; Label: …"."""
    suffix = f" {unit}" if unit else ""
    groups = []
    for index, label in enumerate(labels):
        figures = []
        for item in series:
            value = item.values[index] if index < len(item.values) else None
            figure = format_figure(value, places)
            shown = figure + (suffix if figure != NO_VALUE else "")
            figures.append(f"{item.name} {shown}" if len(series) > 1 or item.name else shown)
        groups.append(f"{label}: {', '.join(figures)}")
    return f"{title}. " + "; ".join(groups) + "."


def _value_at(item: Series, index: int):
    return item.values[index] if index < len(item.values) else None


def _domain(series: list[Series]) -> tuple[list[float], float, float]:
    figures = [float(d) for item in series for value in item.values if (d := to_decimal(value)) is not None]
    ticks = _nice_ticks(min(figures, default=0.0), max(figures, default=1.0))
    return ticks, ticks[0], ticks[-1]


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[dict],
    *,
    unit: str = "",
    description: str | None = None,
    value_label: str | None = None,
    category_label: str | None = None,
    orientation: str = "horizontal",
    show_title: bool = True,
    width: int = 600,
    height: int | None = None,
) -> Markup:
    """Grouped bars, one group per label in the caller's order, one bar per series
    (``{"name": str, "values": [...]}``). ``orientation`` is "horizontal" (long place names read
    best) or "vertical". ``height`` None fits the bars. ``description`` replaces the generated
    ``<desc>``; ``value_label`` (default: the unit) names the value axis."""
    if orientation not in ("horizontal", "vertical"):
        raise ValueError(f"orientation must be horizontal or vertical, not {orientation!r}")
    items = _series(series)
    labels = [str(label) for label in labels]
    chart_id = _chart_id("bar-" + orientation, title, labels, items)
    places = figure_places([value for item in items for value in item.values])
    desc = description or _describe(title, labels, items, places, unit)
    axis_title = value_label if value_label is not None else unit
    draw = _horizontal_bars if orientation == "horizontal" else _vertical_bars
    return Markup(
        draw(
            chart_id,
            title,
            desc,
            labels,
            items,
            places=places,
            axis_title=axis_title,
            category_label=category_label,
            show_title=show_title,
            width=width,
            height=height,
        )
    )


def _title_block(title: str, width: float, show: bool) -> tuple[str, float]:
    if not show:
        return "", 6.0
    return _text(
        width / 2, 18, _fit(title, width - 20, 13), anchor="middle", size=13, extra=' font-weight="bold"'
    ), 30.0


def _horizontal_bars(
    chart_id, title, desc, labels, items, *, places, axis_title, category_label, show_title, width, height
) -> str:
    head, top = _title_block(title, width, show_title)
    legend, legend_height = _legend(chart_id, items, width, top, lines=False)
    top += legend_height + (16 if category_label else 4)
    n_series = max(1, len(items))
    bottom_space = 22 + (18 if axis_title else 0)
    if height is None:
        bar, gap = 12.0, 8.0
        height = top + len(labels) * (n_series * bar + gap) + bottom_space
    else:
        group = (height - top - bottom_space) / max(1, len(labels))
        gap = max(4.0, group * 0.3)
        bar = max(2.0, (group - gap) / n_series)
    label_width = min(max((_text_width(label) for label in labels), default=0) + 8, width * 0.35)
    value_width = (
        max((_text_width(format_figure(v, places)) for item in items for v in item.values), default=0) + 8
    )
    left, right = 10 + label_width, width - 10 - value_width
    ticks, low, high = _domain(items)

    def x_of(value: float) -> float:
        return left + (value - low) / (high - low) * (right - left)

    plot_bottom = height - bottom_space
    parts = [_header(chart_id, title, desc, width, height), _defs(chart_id), head, legend]
    if category_label:
        parts.append(_text(10, top - 6, category_label, size=10, extra=AXIS_TITLE))
    for tick, text in zip(ticks, _tick_texts(ticks), strict=True):
        x = x_of(tick)
        parts.append(
            f'<line x1="{_num(x)}" y1="{_num(top)}" x2="{_num(x)}" y2="{_num(plot_bottom)}"'
            f' stroke="{GRID}" stroke-width="0.6" stroke-dasharray="3 2"/>'
        )
        parts.append(_text(x, plot_bottom + 14, text, anchor="middle", size=10))
    if axis_title:
        parts.append(
            _text(
                (left + right) / 2,
                height - 6,
                axis_title,
                anchor="middle",
                size=10,
                extra=AXIS_TITLE,
            )
        )
    group_height = n_series * bar + gap
    for row, label in enumerate(labels):
        y0 = top + row * group_height + gap / 2
        parts.append(_text(left - 6, y0 + n_series * bar / 2 + 4, _fit(label, label_width - 8), anchor="end"))
        for index, item in enumerate(items):
            value = _value_at(item, index=row)
            figure = to_decimal(value)
            y = y0 + index * bar
            shown = format_figure(value, places)
            if figure is None:
                parts.append(_text(x_of(0) + 4, y + bar - 3, shown, size=10))
                continue
            x_a, x_b = sorted((x_of(0), x_of(float(figure))))
            parts.append(
                f'<rect x="{_num(x_a)}" y="{_num(y)}" width="{_num(max(x_b - x_a, 0.5))}"'
                f' height="{_num(bar)}" fill="{_fill(chart_id, index)}" stroke="{INK}"'
                ' stroke-width="0.6"/>'
            )
            parts.append(
                _text(
                    x_b + 4 if figure >= 0 else x_a - 4,
                    y + bar / 2 + 3.5,
                    shown,
                    size=10,
                    anchor="start" if figure >= 0 else "end",
                )
            )
    parts.append(
        f'<line x1="{_num(x_of(0))}" y1="{_num(top)}" x2="{_num(x_of(0))}" y2="{_num(plot_bottom)}"'
        f' stroke="{INK}" stroke-width="1"/>'
    )
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(plot_bottom)}" x2="{_num(right)}" y2="{_num(plot_bottom)}"'
        f' stroke="{INK}" stroke-width="0.8"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _value_axis(
    axis_title: str | None, ticks: list[float], y_of, left: float, right: float, top: float
) -> list[str]:
    """A vertical value axis: its title above, a dashed grid line and a label at each tick."""
    parts = [_text(4, top - 8, axis_title, size=10, extra=AXIS_TITLE)] if axis_title else []
    for tick, text in zip(ticks, _tick_texts(ticks), strict=True):
        y = y_of(tick)
        parts.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}"'
            f' stroke="{GRID}" stroke-width="0.6" stroke-dasharray="3 2"/>'
        )
        parts.append(_text(left - 5, y + 3.5, text, anchor="end", size=10))
    return parts


def _category_title(label: str, left: float, right: float, height: float) -> str:
    """The title of the horizontal (category) axis, centred under the plot."""
    return _text((left + right) / 2, height - 5, label, anchor="middle", size=10, extra=AXIS_TITLE)


def _vertical_bars(
    chart_id, title, desc, labels, items, *, places, axis_title, category_label, show_title, width, height
) -> str:
    head, top = _title_block(title, width, show_title)
    legend, legend_height = _legend(chart_id, items, width, top, lines=False)
    top += legend_height + (16 if axis_title else 8)
    height = height or 320
    n_series = max(1, len(items))
    ticks, low, high = _domain(items)
    left = 16 + max(_text_width(text, 10) for text in _tick_texts(ticks))
    right = width - 10
    slot = (right - left) / max(1, len(labels))
    rotate = max((_text_width(label) for label in labels), default=0) > slot - 4
    label_space = (
        min(max((_text_width(label) for label in labels), default=0) * 0.75 + 10, 90) if rotate else 18
    )
    plot_bottom = height - label_space - (18 if category_label else 4)

    def y_of(value: float) -> float:
        return plot_bottom - (value - low) / (high - low) * (plot_bottom - top)

    parts = [_header(chart_id, title, desc, width, height), _defs(chart_id), head, legend]
    parts += _value_axis(axis_title, ticks, y_of, left, right, top)
    bar = min(28.0, slot * 0.8 / n_series)
    for column, label in enumerate(labels):
        x0 = left + column * slot + (slot - bar * n_series) / 2
        centre = left + column * slot + slot / 2
        if rotate:
            parts.append(
                _text(
                    centre + 3,
                    plot_bottom + 12,
                    _fit(label, 120),
                    anchor="end",
                    extra=f' transform="rotate(-40 {_num(centre + 3)} {_num(plot_bottom + 12)})"',
                )
            )
        else:
            parts.append(_text(centre, plot_bottom + 14, label, anchor="middle"))
        for index, item in enumerate(items):
            value = _value_at(item, column)
            figure = to_decimal(value)
            x = x0 + index * bar
            shown = format_figure(value, places)
            if figure is None:
                parts.append(_text(x + bar / 2, y_of(0) - 3, shown, anchor="middle", size=9))
                continue
            y_a, y_b = sorted((y_of(0), y_of(float(figure))))
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(y_a)}" width="{_num(bar)}"'
                f' height="{_num(max(y_b - y_a, 0.5))}" fill="{_fill(chart_id, index)}" stroke="{INK}"'
                ' stroke-width="0.6"/>'
            )
            label_y = y_a - 3 if figure >= 0 else y_b + 10
            parts.append(_text(x + bar / 2, label_y, shown, anchor="middle", size=9))
    if category_label:
        parts.append(_category_title(category_label, left, right, height))
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(y_of(0))}" x2="{_num(right)}" y2="{_num(y_of(0))}"'
        f' stroke="{INK}" stroke-width="1"/>'
    )
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(top)}" x2="{_num(left)}" y2="{_num(plot_bottom)}"'
        f' stroke="{INK}" stroke-width="0.8"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _marker(index: int, x: float, y: float) -> str:
    shape = MARKERS[index % len(MARKERS)]
    fill = "#fff" if shape.endswith("-open") else INK
    base = shape.removesuffix("-open")
    style = f' fill="{fill}" stroke="{INK}" stroke-width="1"'
    if base == "circle":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5"{style}/>'
    if base == "square":
        return f'<rect x="{_num(x - 3.2)}" y="{_num(y - 3.2)}" width="6.4" height="6.4"{style}/>'
    if base == "triangle":
        return _polygon([(x, y - 4.2), (x + 4, y + 3), (x - 4, y + 3)], style)
    return _polygon([(x, y - 4.5), (x + 4.5, y), (x, y + 4.5), (x - 4.5, y)], style)


def _polygon(points: list[tuple[float, float]], style: str) -> str:
    path = "L".join(f"{_num(x)} {_num(y)}" for x, y in points)
    return f'<path d="M{path}Z"{style}/>'


def _line_swatch(index: int, x: float, y: float) -> str:
    dash = DASHES[index % len(DASHES)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 22)}" y2="{_num(y)}" stroke="{INK}"'
        f' stroke-width="1.6"{dash_attr}/>' + _marker(index, x + 11, y)
    )


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[dict],
    *,
    unit: str = "",
    description: str | None = None,
    value_label: str | None = None,
    category_label: str | None = None,
    show_values: bool = True,
    show_title: bool = True,
    width: int = 600,
    height: int = 300,
) -> Markup:
    """A trend: one line per series over ``x_labels`` (periods, in order); lines differ by dash and
    marker. None values break the line. Arguments as for :func:`bar_chart`."""
    items = _series(series)
    labels = [str(label) for label in x_labels]
    chart_id = _chart_id("line", title, labels, items)
    places = figure_places([value for item in items for value in item.values])
    desc = description or _describe(title, labels, items, places, unit)
    axis_title = value_label if value_label is not None else unit
    head, top = _title_block(title, width, show_title)
    legend, legend_height = _legend(chart_id, items, width, top, lines=True)
    top += legend_height + (16 if axis_title else 8)
    ticks, low, high = _domain(items)
    left = 16 + max(_text_width(text, 10) for text in _tick_texts(ticks))
    right = width - 16
    plot_bottom = height - 22 - (18 if category_label else 0)
    step = (right - left) / max(1, len(labels))

    def x_of(position: int) -> float:
        return left + step * (position + 0.5)

    def y_of(value: float) -> float:
        return plot_bottom - (value - low) / (high - low) * (plot_bottom - top)

    parts = [_header(chart_id, title, desc, width, height), head, legend]
    parts += _value_axis(axis_title, ticks, y_of, left, right, top)
    for position, label in enumerate(labels):
        parts.append(
            _text(x_of(position), plot_bottom + 14, _fit(label, step - 2, 10), anchor="middle", size=10)
        )
    for index, item in enumerate(items):
        parts.append(_polyline(index, item, x_of, y_of, places, show_values, len(labels)))
    if category_label:
        parts.append(_category_title(category_label, left, right, height))
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(top)}" x2="{_num(left)}" y2="{_num(plot_bottom)}"'
        f' stroke="{INK}" stroke-width="0.8"/>'
    )
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(y_of(max(low, 0)))}" x2="{_num(right)}"'
        f' y2="{_num(y_of(max(low, 0)))}" stroke="{INK}" stroke-width="0.8"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _polyline(index, item: Series, x_of, y_of, places: int, show_values: bool, count: int) -> str:
    dash = DASHES[index % len(DASHES)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    runs, run, marks = [], [], []
    for position in range(count):
        figure = to_decimal(_value_at(item, position))
        if figure is None:
            runs.append(run)
            run = []
            continue
        x, y = x_of(position), y_of(float(figure))
        run.append(f"{_num(x)},{_num(y)}")
        marks.append(_marker(index, x, y))
        if show_values:
            marks.append(
                _text(x, y - 7, format_figure(_value_at(item, position), places), anchor="middle", size=9)
            )
    runs.append(run)
    lines = "".join(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{INK}" stroke-width="1.6"{dash_attr}/>'
        for points in runs
        if len(points) > 1
    )
    return f'<g class="series">{lines}{"".join(marks)}</g>'


def chart_svg(spec: dict, **options) -> Markup:
    """A report snapshot's chart (``{"kind": "bar"|"line", "title", "labels", "series", "unit"}``,
    optional "description", "value_label", "category_label", "orientation") as SVG; ``options``
    pass through (``show_title``, ``width``…)."""
    kind = spec.get("kind", "bar")
    common = {
        "unit": spec.get("unit") or "",
        "description": spec.get("description"),
        "value_label": spec.get("value_label"),
        "category_label": spec.get("category_label"),
    }
    if kind == "bar":
        if spec.get("orientation"):
            common["orientation"] = spec["orientation"]
        return bar_chart(
            spec.get("title", ""), spec.get("labels", []), spec.get("series", []), **common, **options
        )
    if kind == "line":
        return line_chart(
            spec.get("title", ""), spec.get("labels", []), spec.get("series", []), **common, **options
        )
    raise ValueError(f"unknown chart kind {kind!r}")


def progress_bar(
    title: str,
    description: str,
    actual: float | None,
    target: float | None,
    projected: float | None = None,
    *,
    width: float = 320,
    height: float = 22,
) -> Markup:
    """A target's progress as a bar: ``actual`` filled in dark grey, the way on to ``projected``
    hatched, ``target`` a black mark across the bar with a triangle above it; each a percentage of
    the bar (0–100, None: not drawn). Scales to its container's width (``width`` sets the ratio)."""
    chart_id = _chart_id("progress", title, [description], [Series("", [actual, target, projected])])
    top, bar = 6.0, height - 10.0

    def x_of(share: float) -> float:
        return 1 + (width - 2) * max(0.0, min(100.0, float(share))) / 100

    parts = [
        _header(chart_id, title, description, width, height, fluid=True),
        _defs(chart_id),
        f'<rect x="1" y="{_num(top)}" width="{_num(width - 2)}" height="{_num(bar)}" fill="#ececec"'
        f' stroke="{INK}" stroke-width="0.5"/>',
    ]
    if projected is not None and actual is not None and projected > actual:
        parts.append(
            f'<rect class="projected" x="{_num(x_of(actual))}" y="{_num(top)}"'
            f' width="{_num(x_of(projected) - x_of(actual))}" height="{_num(bar)}"'
            f' fill="{_fill(chart_id, 1)}" stroke="{INK}" stroke-width="0.5"/>'
        )
    if actual is not None:
        parts.append(
            f'<rect class="actual" x="1" y="{_num(top)}" width="{_num(x_of(actual) - 1)}"'
            f' height="{_num(bar)}" fill="{_fill(chart_id, 0)}"/>'
        )
    if target is not None:
        x = x_of(target)
        triangle = _polygon([(x - 4, 0), (x + 4, 0), (x, top - 1)], f' fill="{INK}"')
        parts.append(
            f'<g class="target"><line x1="{_num(x)}" y1="{_num(top - 2)}" x2="{_num(x)}"'
            f' y2="{_num(top + bar + 2)}" stroke="{INK}" stroke-width="2"/>{triangle}</g>'
        )
    return Markup("".join(parts) + "</svg>")
