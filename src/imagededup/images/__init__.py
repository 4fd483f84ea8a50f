"""Finding image files and decoding them to RGB pixels."""

from imagededup.images.decode import DecodeError, load_image
from imagededup.images.discover import Listing, list_images

__all__ = ["DecodeError", "Listing", "list_images", "load_image"]
