"""Slide images made ready for a page: scaled to what print needs, stored as the smaller of JPEG or a
256-colour Flate image (the latter only when it looks the same).

Slide frames come from a video decoder at screen resolution; a 16-up cell is under 5 cm wide, so
embedding them as they are would make a 60-slide handout tens of MB. Each distinct image is prepared
once per document and the same object is handed to fpdf2 for every showing of it, so fpdf2's content
hash stores a revisited slide once.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from PIL import Image, ImageChops, UnidentifiedImageError

from ..errors import StageFailed

MM_PER_INCH = 25.4
JPEG_QUALITY = 85


def _flate_size_within(img: Image.Image, limit: int) -> int | None:
    """What fpdf2 would store for an image with FlateDecode (zlib over rows each led by a filter byte),
    or None as soon as that passes `limit`: the losing candidate is dropped early, saving most of the work."""
    w, h = img.size
    raw = img.tobytes()
    row = w * len(img.getbands())
    z = zlib.compressobj(6)
    size = 0
    rows_per_chunk = 32
    for top in range(0, h, rows_per_chunk):
        chunk = b"".join(b"\0" + raw[i * row:(i + 1) * row] for i in range(top, min(h, top + rows_per_chunk)))
        size += len(z.compress(chunk))
        if size > limit:
            return None
    size += len(z.flush())
    return size if size <= limit else None


def _faithful_palette(img: Image.Image) -> Image.Image | None:
    """The image in 256 colours when that is indistinguishable from it (flat slides), else None (photos, noise)."""
    if img.getcolors(4096) is None:
        return None  # thousands of colours: noise or a photo; skip the costly quantizer
    # Median cut keeps large flat areas exact (white stays paper white); the fast octree tints them.
    pal = img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    hist = ImageChops.difference(pal.convert("RGB"), img).convert("L").histogram()
    total = sum(hist)
    mean = sum(level * count for level, count in enumerate(hist)) / total
    # A few off pixels along antialiased edges are invisible; an area shifted in colour is not.
    return pal if mean <= 0.5 and sum(hist[13:]) / total <= 0.002 else None


def _on_white(img: Image.Image) -> Image.Image:
    """Flatten transparency onto white paper and drop to plain RGB."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        page = Image.new("RGB", rgba.size, (255, 255, 255))
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    return img.convert("RGB")


class SlideImages:
    """Loads each slide image of one document once, scaled to fit a box of `box_mm` at `dpi`."""

    def __init__(self, images_dir: Path, box_mm: tuple[float, float], dpi: int) -> None:
        self.images_dir = Path(images_dir)
        self.box_px = (max(1, round(box_mm[0] / MM_PER_INCH * dpi)), max(1, round(box_mm[1] / MM_PER_INCH * dpi)))
        self._prepared: dict[str, object] = {}
        self._sizes: dict[str, tuple[int, int]] = {}
        self.bytes_chosen = 0  # encoded bytes of distinct images, for reports and tests

    def path(self, name: str) -> Path:
        """The file of a slide image, refusing names that climb out of the images folder."""
        root = self.images_dir.resolve()
        p = (root / name).resolve()
        if p.parent != root and root not in p.parents:
            raise StageFailed("render", f"slide image name {name!r} points outside {self.images_dir}; "
                              "image names must be plain file names such as slide-003.png")
        if not p.is_file():
            raise StageFailed("render", f"slide image {name!r} is missing from {self.images_dir}; "
                              "run the slides stage again so it writes every slide it lists")
        return p

    def _open(self, name: str) -> Image.Image:
        try:
            with Image.open(self.path(name)) as im:
                im.load()
                return _on_white(im)
        except (UnidentifiedImageError, OSError) as e:
            raise StageFailed("render", f"slide image {name!r} in {self.images_dir} cannot be read ({e}); "
                              "run the slides stage again") from None

    def size(self, name: str) -> tuple[int, int]:
        """Pixel size of the original slide image."""
        if name not in self._sizes:
            try:
                with Image.open(self.path(name)) as im:
                    self._sizes[name] = im.size
            except (UnidentifiedImageError, OSError) as e:
                raise StageFailed("render", f"slide image {name!r} in {self.images_dir} cannot be read ({e}); "
                                  "run the slides stage again") from None
        return self._sizes[name]

    def get(self, name: str) -> object:
        """The image to pass to `FPDF.image`: JPEG bytes or a PIL image, whichever stores smaller."""
        if name in self._prepared:
            return self._prepared[name]
        img = self._open(name)
        if img.width > self.box_px[0] or img.height > self.box_px[1]:
            # thumbnail keeps the aspect ratio and never enlarges.
            img.thumbnail(self.box_px, Image.Resampling.LANCZOS)
        jpeg = io.BytesIO()
        img.save(jpeg, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        # Flat-coloured slides keep crisp text and usually shrink further as a 256-colour image;
        # photos and video noise fail the palette test or lose on size, and go as JPEG.
        pal = _faithful_palette(img)
        flate = _flate_size_within(pal, jpeg.tell()) if pal is not None else None
        if flate is not None:
            chosen: object = pal
            self.bytes_chosen += flate
        else:
            jpeg.seek(0)
            chosen = jpeg
            self.bytes_chosen += jpeg.getbuffer().nbytes
        self._prepared[name] = chosen
        return chosen
