"""The text a reader sees in an HTML page, for corpus files and fetched pages alike.

One rule decides what is hidden, and both paths use it: :func:`html_to_text`
turns a corpus file into text, :func:`visible_html` hands a fetched page to
the main-text extractor with the hidden parts already gone.

An element and everything in it are dropped when it has the ``hidden``
attribute or ``aria-hidden="true"``, or when its style takes its box off the
screen: ``display: none``; an opacity of at most :data:`FAINT_OPACITY`; a
``transform`` that scales it to nothing; a ``clip`` or ``clip-path`` that
leaves no area; a zero (or one-pixel) height or width with overflow hidden or
clipped; or a position, margin or ``text-indent`` of :data:`OFF_SCREEN_PX`
or more to the left or top. Text is dropped where the style that reaches it
makes it unreadable: ``visibility: hidden`` or ``collapse``, a zero font
size, a transparent colour, or a colour too close to the background behind it
(white on white, or the box's own background). These three are inherited, as
in a browser: a child that sets a readable colour, a real font size or
``visibility: visible`` is kept.

Style comes from the ``style`` attribute and from the page's own ``<style>``
blocks. Selectors are matched by soupsieve; the cascade (``!important``,
inline style, specificity, order) picks the value that applies.

Not handled on purpose: linked stylesheets, rules inside ``@media``,
``@supports`` or ``@layer``, ``<style media="print">``, rules on pseudo-elements
or dynamic states (``::before``, ``:hover``), styles set by scripts, text over
a background image (its colour is not judged), and the rules past the first
:data:`MAX_STYLE_RULES` that set one of the properties above.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from assistant.text import normalise

log = logging.getLogger(__name__)

# Elements whose content a reader never sees as page text.
INVISIBLE_TAGS = ["script", "style", "noscript", "template", "head", "svg", "canvas", "iframe", "object"]
# Block elements end a paragraph; everything else flows inline.
BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "li", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "td", "th", "br", "hr",
    "figure", "figcaption", "dd", "dt", "dl", "address", "details", "summary",
}  # fmt: skip

# Style rules evaluated per page, so that a hostile stylesheet cannot stall indexing.
MAX_STYLE_RULES = 500
# At or below this opacity, text is as good as invisible.
FAINT_OPACITY = 0.1
# A box moved this far left or up (in CSS pixels) is off any screen.
OFF_SCREEN_PX = 500.0
# A box no taller or wider than this, with its overflow hidden, shows nothing readable.
NO_ROOM_PX = 1.0
# Text whose contrast with its background is below this WCAG ratio cannot be read (1 is none).
LEAST_CONTRAST = 1.1
# CSS pixels per unit; relative units at a 16-pixel font and a 1000-pixel screen.
PX_PER_UNIT = {
    "px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "q": 96 / 101.6,
    "em": 16.0, "rem": 16.0, "ex": 8.0, "ch": 8.0, "vw": 10.0, "vh": 10.0, "vmin": 10.0, "vmax": 10.0,
}  # fmt: skip

# The properties this module reads, and the shorthands that set them.
PROPERTIES = {
    "display", "opacity", "visibility", "font-size", "color", "background-color", "background-image",
    "transform", "clip", "clip-path", "height", "max-height", "width", "max-width", "overflow-x", "overflow-y",
    "position", "left", "top", "right", "bottom", "margin-left", "margin-top", "text-indent",
}  # fmt: skip
SHORTHANDS = {"background", "font", "overflow"}

Declarations = dict[str, tuple[str, bool]]  # property -> (value, !important)


# --- Reading CSS ------------------------------------------------------------


def _tokens(value: Any) -> list[Any]:
    import tinycss2

    tokens = tinycss2.parse_component_value_list(value) if isinstance(value, str) else list(value)
    return [t for t in tokens if t.type not in ("whitespace", "comment")]


def _text(tokens: Iterable[Any]) -> str:
    import tinycss2

    return tinycss2.serialize(t for t in tokens if t.type != "comment").strip()


def declarations(css: Any) -> Declarations:
    """The properties this module reads, with their winning value and ``!important`` flag.

    Shorthands are read for the part that matters here: ``background`` for its
    colour, ``font`` for its size, ``overflow`` for both axes.

    >>> declarations("color: red; DISPLAY: None !important; display: block; font: 0/0 a")
    {'color': ('red', False), 'display': ('None', True), 'font-size': ('0', False)}
    >>> declarations("background: #fff url(x.png); overflow: hidden auto")["overflow-y"]
    ('auto', False)
    """
    import tinycss2

    found: Declarations = {}
    for item in tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True):
        if item.type != "declaration":
            continue
        name = item.lower_name
        if name not in PROPERTIES and name not in SHORTHANDS:
            continue
        for prop, value in _longhands(name, _tokens(item.value)).items():
            # Within one block an !important declaration beats any later plain one.
            if item.important or not found.get(prop, ("", False))[1]:
                found[prop] = (value, item.important)
    return found


def _longhands(name: str, tokens: list[Any]) -> dict[str, str]:
    if name == "background":
        colour = next((_text([t]) for t in tokens if parse_colour(_text([t])) is not None), "transparent")
        image = next((_text([t]) for t in tokens if t.type in ("url", "function") and _is_image(t)), "none")
        return {"background-color": colour, "background-image": image}
    if name == "font":
        size = next((t for t in tokens if t.type in ("dimension", "percentage", "number")), None)
        return {"font-size": _text([size])} if size is not None else {}
    if name == "overflow":
        values = [_text([t]) for t in tokens] or ["visible"]
        return {"overflow-x": values[0], "overflow-y": values[-1]}
    return {name: _text(tokens)}


def _is_image(token: Any) -> bool:
    return token.type == "url" or token.lower_name in {"url", "image", "image-set"} or "gradient" in token.lower_name


def length_px(value: str) -> float | None:
    """A length in CSS pixels, or None for anything else (``auto``, a percentage other than 0).

    >>> length_px("-200em"), length_px("0"), length_px("1PX"), length_px("0%"), length_px("50%"), length_px("auto")
    (-3200.0, 0.0, 1.0, 0.0, None, None)
    """
    tokens = _tokens(value)
    if len(tokens) != 1:
        return None
    token = tokens[0]
    if token.type == "number" or (token.type == "percentage" and token.value == 0):
        return float(token.value) if token.value == 0 or token.type == "number" else None
    if token.type == "dimension" and token.lower_unit in PX_PER_UNIT:
        return float(token.value) * PX_PER_UNIT[token.lower_unit]
    return None


def parse_colour(value: str) -> tuple[float, float, float, float] | None:
    """Red, green, blue and alpha from 0 to 1, or None for no colour (``inherit``, ``currentcolor``).

    >>> parse_colour("#FFF"), parse_colour("rgb(0 0 0 / 0)"), parse_colour("currentcolor")
    ((1.0, 1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 0.0), None)
    """
    import tinycss2.color4

    try:
        colour = tinycss2.color4.parse_color(value)
        if colour is None or isinstance(colour, str):
            return None
        red, green, blue = colour.to("srgb").coordinates
    except (NotImplementedError, ValueError, TypeError, ArithmeticError):
        return None  # a colour space tinycss2 cannot convert: not judged

    def channel(c: float) -> float:
        return min(1.0, max(0.0, float(c)))

    return channel(red), channel(green), channel(blue), float(colour.alpha)


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The WCAG contrast ratio of two sRGB colours, from 1 (none) to 21 (black on white).

    >>> round(contrast((0, 0, 0), (1, 1, 1)), 1), contrast((0.2, 0.3, 0.4), (0.2, 0.3, 0.4))
    (21.0, 1.0)
    """

    def luminance(colour: tuple[float, ...]) -> float:
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in colour[:3]]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _number(token: Any) -> float | None:
    if token.type == "number":
        return float(token.value)
    if token.type == "percentage":
        return float(token.value) / 100
    return None


def _arguments(function: Any) -> list[Any]:
    return [t for t in _tokens(function.arguments) if t.type != "literal"]


# --- What hides a box -------------------------------------------------------


def box_hidden(style: Mapping[str, str]) -> str:
    """Why a box and everything in it cannot be seen, or '' when it can.

    >>> box_hidden({"opacity": "0.02"}), box_hidden({"transform": "rotate(3deg) scaleY(0)"})
    ('opacity 0.02', 'transform rotate(3deg) scaleY(0)')
    >>> box_hidden({"height": "0", "overflow-y": "hidden"}), box_hidden({"height": "0"})
    ('height 0 with its overflow hidden', '')
    >>> box_hidden({"position": "absolute", "left": "-9999px"}), box_hidden({"position": "static", "left": "-9999px"})
    ('left -9999px', '')
    """
    value = {k: v.strip().lower() for k, v in style.items()}
    if value.get("display") == "none":
        return "display none"
    opacity = _tokens(value.get("opacity", "1"))
    level = _number(opacity[0]) if len(opacity) == 1 else None
    if level is not None and level <= FAINT_OPACITY:
        return f"opacity {style['opacity'].strip()}"
    if _scaled_to_nothing(value.get("transform", "")):
        return f"transform {style['transform'].strip()}"
    if _clipped_away(value.get("clip", ""), value.get("clip-path", "")):
        return f"clip {value.get('clip') or value.get('clip-path')}"
    overflow = {value.get("overflow-x", "visible"), value.get("overflow-y", "visible")}
    if overflow & {"hidden", "clip"}:
        for prop in ("height", "max-height", "width", "max-width"):
            size = length_px(value.get(prop, "auto"))
            if size is not None and size <= NO_ROOM_PX:
                return f"{prop} {style[prop].strip()} with its overflow hidden"
    offsets = ["margin-left", "margin-top", "text-indent"]
    if value.get("position", "static") in {"absolute", "fixed", "relative", "sticky"}:
        offsets += ["left", "top", "right", "bottom"]
    for prop in offsets:
        offset = length_px(value.get(prop, "auto"))
        if offset is not None and offset <= -OFF_SCREEN_PX:
            return f"{prop} {style[prop].strip()}"
    return ""


def _scaled_to_nothing(transform: str) -> bool:
    """``scale(0)``, ``scaleX(0)``, ``scale3d(1, 0, 1)`` or a matrix without area.

    >>> _scaled_to_nothing("scale(0.001)"), _scaled_to_nothing("scale(1.5)"), _scaled_to_nothing("matrix(0,0,0,0,0,0)")
    (True, False, True)
    """
    for function in _tokens(transform):
        if function.type != "function":
            continue
        numbers = [_number(t) for t in _arguments(function)]
        if function.lower_name.startswith("scale") and any(n is not None and abs(n) <= 0.01 for n in numbers):
            return True
        if function.lower_name == "matrix" and len(numbers) == 6 and None not in numbers:
            a, b, c, d = (n or 0.0 for n in numbers[:4])
            if abs(a * d - b * c) <= 1e-4:
                return True
    return False


def _clipped_away(clip: str, clip_path: str) -> bool:
    """A ``clip`` rectangle or a ``clip-path`` shape with no area left.

    >>> _clipped_away("rect(0, 0, 0, 0)", ""), _clipped_away("", "inset(50%)"), _clipped_away("", "circle(0)")
    (True, True, True)
    >>> _clipped_away("rect(0 200px 40px 0)", ""), _clipped_away("", "inset(10%)"), _clipped_away("auto", "none")
    (False, False, False)
    """
    for function in _tokens(clip):
        if function.type == "function" and function.lower_name == "rect":
            sides = [length_px(_text([t])) for t in _arguments(function)]
            if len(sides) == 4 and None not in sides:
                top, right, bottom, left = (s or 0.0 for s in sides)
                return bottom - top <= NO_ROOM_PX or right - left <= NO_ROOM_PX
    for function in _tokens(clip_path):
        if function.type != "function":
            continue
        values = [t for t in _arguments(function) if t.type in ("number", "percentage", "dimension")]
        if function.lower_name in {"circle", "ellipse"} and values:
            radii = [length_px(_text([t])) for t in values[:2]]
            return all(r is not None and r <= 0 for r in radii)
        if function.lower_name == "inset" and values:
            top, right, bottom, left = box_sides([_inset(t) for t in values[:4]])
            return top + bottom >= 1 or left + right >= 1
    return False


# Lengths in a clip-path are judged against a box this wide: a column of text.
BOX_PX = 1000.0


def _inset(token: Any) -> float:
    """One side of ``inset()`` as a share of the box: ``50%`` is 0.5, ``500px`` is 0.5 of :data:`BOX_PX`."""
    if token.type == "percentage":
        return float(token.value) / 100
    return (length_px(_text([token])) or 0.0) / BOX_PX


def box_sides(values: list[float]) -> tuple[float, float, float, float]:
    """Top, right, bottom and left from the one to four values of a CSS box shorthand.

    >>> box_sides([1]), box_sides([1, 2]), box_sides([1, 2, 3])
    ((1, 1, 1, 1), (1, 2, 1, 2), (1, 2, 3, 2))
    """
    top = values[0]
    right = values[1] if len(values) > 1 else top
    bottom = values[2] if len(values) > 2 else top
    left = values[3] if len(values) > 3 else right
    return top, right, bottom, left


# --- What hides text: inherited from the boxes around it --------------------

WHITE = (1.0, 1.0, 1.0, 1.0)
BLACK = (0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True)
class TextStyle:
    """What an element's text inherits: visibility, whether its font has a size, its colour and backdrop."""

    visible: bool = True
    sized: bool = True
    colour: tuple[float, float, float, float] = BLACK
    # The colour behind the text; None where an image is behind it and the colour is not judged.
    backdrop: tuple[float, float, float, float] | None = WHITE

    def inside(self, style: Mapping[str, str]) -> TextStyle:
        """The style of a child box that declares ``style``.

        >>> TextStyle().inside({"color": "#fff"}).hidden()
        'its colour on its background'
        >>> TextStyle().inside({"font-size": "0"}).inside({"font-size": "16px"}).hidden()
        ''
        """
        value = {k: v.strip().lower() for k, v in style.items()}
        changed: dict[str, Any] = {}
        if value.get("visibility") in {"hidden", "collapse"}:
            changed["visible"] = False
        elif value.get("visibility") in {"visible", "initial"}:
            changed["visible"] = True
        if value.get("font-size", "inherit") not in {"inherit", "unset", "revert"}:
            tokens = _tokens(value["font-size"])
            token = tokens[0] if len(tokens) == 1 else None
            zero = token is not None and token.type in {"number", "percentage", "dimension"} and token.value == 0
            # A share of an inherited size is zero when that size is.
            relative = token is not None and (
                token.type == "percentage" or (token.type == "dimension" and token.lower_unit in {"em", "ex", "ch"})
            )
            changed["sized"] = (self.sized and not zero) if relative else not zero
        if (colour := parse_colour(value.get("color", ""))) is not None:
            changed["colour"] = colour
        background = parse_colour(value.get("background-color", ""))
        if value.get("background-image", "none") not in {"none", "initial", ""}:
            changed["backdrop"] = None
        elif background is not None and background[3] >= 0.5:
            changed["backdrop"] = background
        return replace(self, **changed) if changed else self

    def hidden(self) -> str:
        """Why text in this style cannot be read, or ''."""
        if not self.visible:
            return "visibility hidden"
        if not self.sized:
            return "font size 0"
        if self.colour[3] <= FAINT_OPACITY:
            return "a transparent colour"
        if self.backdrop is not None and contrast(self.colour, self.backdrop) < LEAST_CONTRAST:
            return "its colour on its background"
        return ""


# --- The page's own stylesheet ----------------------------------------------


@dataclass(frozen=True)
class Rule:
    key: str  # see rule_key
    selector: Any  # compiled by soupsieve
    specificity: tuple[int, int, int]
    order: int
    declared: Declarations


def specificity(selector: str) -> tuple[int, int, int]:
    """(ids, classes and attributes and pseudo-classes, types) of one selector, as CSS counts them.

    >>> specificity("main > p.note.sr"), specificity("#aside"), specificity("li:not(#a) [lang] + *")
    ((0, 2, 2), (1, 0, 0), (1, 1, 1))
    """
    counts = [0, 0, 0]
    tokens = _tokens(selector)
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else None
        after_colon = before is not None and before.type == "literal" and before.value == ":"
        if token.type == "hash":
            counts[0] += 1
        elif token.type == "[] block":
            counts[1] += 1
        elif token.type == "function" and after_colon:
            if token.lower_name in {"not", "is", "has", "matches"}:
                inner = _text(token.arguments).split(",")
                best = max(specificity(part) for part in inner) if inner else (0, 0, 0)
                counts = [c + b for c, b in zip(counts, best, strict=True)]
            elif token.lower_name != "where":
                counts[1] += 1
        elif token.type == "ident":
            if before is not None and before.type == "literal" and before.value in {".", ":"}:
                counts[1] += 1
            else:
                counts[2] += 1
    return counts[0], counts[1], counts[2]


def rule_key(selector: str) -> str:
    """What an element must have for the selector to match it: its last id, class or type.

    Rules are filed under it, so each element is tried only against rules that could match.

    >>> rule_key("main > p.note"), rule_key("#a .b"), rule_key("div p"), rule_key("[hidden]"), rule_key("a + #b")
    ('.note', '.b', 'p', '*', '#b')
    """
    import tinycss2

    compounds: list[list[Any]] = [[]]
    for token in tinycss2.parse_component_value_list(selector.strip()):
        if token.type == "whitespace" or (token.type == "literal" and token.value in {">", "+", "~"}):
            if compounds[-1]:
                compounds.append([])
        elif token.type != "comment":
            compounds[-1].append(token)
    last = compounds[-1] or compounds[0]
    for token in last:
        if token.type == "hash":
            return f"#{token.value}"
    for before, token in itertools.pairwise(last):
        if token.type == "ident" and before.type == "literal" and before.value == ".":
            return f".{token.value}"
    return last[0].lower_value if last and last[0].type == "ident" else "*"


def stylesheet_rules(soup: Any) -> list[Rule]:
    """The page's own rules that set a property this module reads, in document order."""
    import soupsieve
    import tinycss2

    rules: list[Rule] = []
    for style in soup.find_all("style"):
        if str(style.get("media", "all")).strip().lower() not in {"", "all", "screen"}:
            continue
        if style.find_parent(["template", "noscript"]) is not None:
            continue  # never applied to the page
        for rule in tinycss2.parse_stylesheet(style.get_text(), skip_comments=True, skip_whitespace=True):
            if rule.type != "qualified-rule":
                continue  # @media, @supports and the like apply only sometimes
            declared = declarations(rule.content)
            if not declared:
                continue
            for selector in _text(rule.prelude).split(","):
                selector = " ".join(selector.split())
                try:
                    compiled = soupsieve.compile(selector)
                except Exception:  # pseudo-elements, unknown syntax: the rule is not this module's concern
                    continue
                rules.append(Rule(rule_key(selector), compiled, specificity(selector), len(rules), declared))
    if len(rules) > MAX_STYLE_RULES:
        log.info("style rules past the first %d ignored count=%d", MAX_STYLE_RULES, len(rules))
    return rules[:MAX_STYLE_RULES]


def _keys(tag: Any) -> list[str]:
    classes = tag.get("class") or []
    ids = [f"#{tag['id']}"] if tag.get("id") else []
    return [*ids, *(f".{c}" for c in classes), tag.name.lower(), "*"]


def computed(tag: Any, rules: Mapping[str, list[Rule]]) -> dict[str, str]:
    """The value of each property this module reads that applies to ``tag``, after the cascade."""
    winners: dict[str, tuple[tuple[Any, ...], str]] = {}
    matched = [r for key in _keys(tag) for r in rules.get(key, ()) if r.selector.match(tag)]
    candidates = [((imp, False, r.specificity, r.order), p, v) for r in matched for p, (v, imp) in r.declared.items()]
    if style := tag.get("style"):
        candidates += [((imp, True, (0, 0, 0), 0), p, v) for p, (v, imp) in declarations(str(style)).items()]
    # !important first, then the style attribute, then specificity, then order.
    for precedence, prop, value in candidates:
        if prop not in winners or precedence >= winners[prop][0]:
            winners[prop] = (precedence, value)
    return {prop: value for prop, (_, value) in winners.items()}


# --- The page ---------------------------------------------------------------


def drop_hidden(soup: Any) -> None:
    """Remove from ``soup`` every element and text its reader cannot see (see the module docstring)."""
    from bs4 import NavigableString, Tag

    by_key: dict[str, list[Rule]] = {}
    for rule in stylesheet_rules(soup):
        by_key.setdefault(rule.key, []).append(rule)
    boxes: list[Any] = []
    texts: list[Any] = []
    stack: list[tuple[Any, TextStyle]] = [(soup, TextStyle())]
    while stack:
        tag, inherited = stack.pop()
        for child in tag.children:
            if isinstance(child, NavigableString):
                if inherited.hidden() and type(child) is NavigableString:
                    texts.append(child)
                continue
            if not isinstance(child, Tag) or child.name == "head":
                continue
            attrs = child.attrs or {}
            if "hidden" in attrs or str(attrs.get("aria-hidden", "")).strip().lower() == "true":
                boxes.append(child)
                continue
            style = computed(child, by_key) if (by_key or attrs.get("style")) else {}
            if box_hidden(style):
                boxes.append(child)
                continue
            stack.append((child, inherited.inside(style) if style else inherited))
    for text in texts:
        text.extract()
    for box in boxes:
        box.decompose()


def _parse(html: str) -> Any:
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(html, "lxml")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    return soup


def visible_html(html: str) -> str:
    """The page without what its reader cannot see, its ``<head>`` kept for the metadata.

    Style attributes go too, once read: no later step applies a hiding rule of its own.

    >>> visible_html('<p>One</p><p style="opacity:0">Two</p><p style="color: red">Three</p>')
    '<html><body><p>One</p><p>Three</p></body></html>'
    """
    soup = _parse(html)
    drop_hidden(soup)
    for tag in soup.find_all(["template", "noscript"]):
        tag.decompose()
    for tag in soup.find_all(style=True):
        del tag["style"]
    return str(soup)


def html_to_text(html: str) -> tuple[str, str, str, str]:
    """Readable text, title, author and date of an HTML page.

    >>> html_to_text('<title>T</title><p>One <b>two</b></p><p hidden>x</p><script>y</script><p>Three</p>')[0]
    'One two\\n\\nThree'
    """
    soup = _parse(html)
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    h1 = soup.find("h1")
    if not title and h1 is not None:
        title = h1.get_text(" ", strip=True)
    author = _meta(soup, "author")
    date = _meta(soup, "article:published_time") or _meta(soup, "date")
    # Before anything is removed: selectors address the page as its reader gets it.
    drop_hidden(soup)
    for tag in soup.find_all(INVISIBLE_TAGS):
        tag.decompose()
    for tag in soup.find_all(BLOCK_TAGS):
        # Inside the tag, not around it: the same text, without insert_before's
        # sibling search, which made a page of many blocks take minutes.
        tag.insert(0, "\n\n")
        tag.append("\n\n")
    body = soup.body or soup
    # Inside a paragraph, source line breaks are only layout: fold them.
    blocks = [" ".join(part.split()) for part in body.get_text().split("\n\n")]
    return normalise("\n\n".join(b for b in blocks if b)), normalise(title), normalise(author), normalise(date)


def _meta(soup: Any, name: str) -> str:
    tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
    return str(tag.get("content", "")).strip() if tag else ""
