"""Extra views of an image, embedded beside it so that rotated and strongly cropped copies match.

A view is an angle (degrees, counter-clockwise, same canvas) or ``(angle, keep)``: the centre
``keep`` of each side, then rotated. Views are cut from the already squashed model input, which
costs little. A copy rotated by about the angle of a view, or cropped to about that centre,
matches the view better than the image itself (see ``search.copies``).
"""

from __future__ import annotations

from PIL import Image

View = float | tuple[float, float]
Window = tuple[float, tuple[float, float]]
"""``(keep, place)``: that share of each side, that far across what is left (``window``)."""


def view_parts(view: View) -> tuple[float, float]:
    """``(angle, keep)`` of a view: a bare angle keeps the whole image."""
    return (float(view), 1.0) if isinstance(view, int | float) else (view[0], view[1])


def centre(image: Image.Image, keep: float) -> Image.Image:
    """The centre ``keep`` of each side of ``image`` (``image`` itself when ``keep`` is 1)."""
    if keep >= 1.0:
        return image
    margin_x = round(image.width * (1.0 - keep) / 2)
    margin_y = round(image.height * (1.0 - keep) / 2)
    return image.crop((margin_x, margin_y, image.width - margin_x, image.height - margin_y))


def window(image: Image.Image, keep: float, place: tuple[float, float]) -> Image.Image:
    """The ``keep`` of each side of ``image`` set ``place`` of the way across what is left of
    each (``(0, 0)``: the top left corner, ``(1, 1)``: the bottom right)."""
    width, height = round(image.width * keep), round(image.height * keep)
    left = round((image.width - width) * place[0])
    top = round((image.height - height) * place[1])
    return image.crop((left, top, left + width, top + height))
