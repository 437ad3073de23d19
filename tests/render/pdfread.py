"""Reading a rendered PDF back the way a person's tools would: pixels, text, outline, metadata, tags."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as raw
from PIL import Image


def page_text(pdf_path: Path, index: int) -> str:
    """The text of one page with runs of white space (line breaks included) made single spaces."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return " ".join(doc[index].get_textpage().get_text_range().split())
    finally:
        doc.close()


def all_text(pdf_path: Path) -> str:
    """The text of every page, joined, white space made single."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return " ".join(" ".join(p.get_textpage().get_text_range().split()) for p in doc)
    finally:
        doc.close()


def page_count(pdf_path: Path) -> int:
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return len(doc)
    finally:
        doc.close()


def page_size_pt(pdf_path: Path, index: int = 0) -> tuple[float, float]:
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return doc.get_page_size(index)
    finally:
        doc.close()


def render(pdf_path: Path, index: int, dpi: int = 72) -> Image.Image:
    """One page as an RGB picture at `dpi` (72 makes one pixel one point)."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return doc[index].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        doc.close()


def ink(img: Image.Image, box_mm: tuple[float, float, float, float], dpi: int = 72) -> float:
    """Share of pixels clearly darker than paper inside a box (x, y, w, h) given in mm."""
    px = dpi / 25.4
    x, y, w, h = box_mm
    crop = img.crop((round(x * px), round(y * px), round((x + w) * px), round((y + h) * px))).convert("L")
    grey = np.asarray(crop)
    return float((grey < 200).mean()) if grey.size else 0.0


def toc(pdf_path: Path) -> list[tuple[str, int]]:
    """Outline entries as (title, page index)."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return [(b.get_title(), b.get_dest().get_index()) for b in doc.get_toc()]
    finally:
        doc.close()


def metadata(pdf_path: Path) -> dict[str, str]:
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return doc.get_metadata_dict()
    finally:
        doc.close()


def _utf16(fn, *args) -> str:
    n = fn(*args, None, 0)
    if n <= 2:
        return ""
    buf = ctypes.create_string_buffer(n)
    # pdfium declares some of these buffers as void* and others as unsigned short*.
    fn(*args, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), n)
    return buf.raw[:n - 2].decode("utf-16-le")


def language(pdf_path: Path) -> str:
    """The document language from the catalog's /Lang."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return _utf16(raw.FPDFCatalog_GetLanguage, doc)
    finally:
        doc.close()


def is_tagged(pdf_path: Path) -> bool:
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return bool(doc.is_tagged())
    finally:
        doc.close()


def figure_alt_texts(pdf_path: Path, index: int) -> list[str]:
    """Alt text of every /Figure structure element on a page, in tree order."""
    doc = pdfium.PdfDocument(str(pdf_path))
    found: list[str] = []
    try:
        page = doc[index]
        tree = raw.FPDF_StructTree_GetForPage(page)
        try:
            stack = [raw.FPDF_StructTree_GetChildAtIndex(tree, i)
                     for i in range(raw.FPDF_StructTree_CountChildren(tree))]
            while stack:
                el = stack.pop(0)
                if not el:
                    continue
                if _utf16(raw.FPDF_StructElement_GetType, el) == "Figure":
                    found.append(_utf16(raw.FPDF_StructElement_GetAltText, el))
                stack.extend(raw.FPDF_StructElement_GetChildAtIndex(el, i)
                             for i in range(raw.FPDF_StructElement_CountChildren(el)))
        finally:
            raw.FPDF_StructTree_Close(tree)
    finally:
        doc.close()
    return found


def image_xobjects(pdf_path: Path) -> int:
    """How many image objects the file stores (fpdf2 writes object dictionaries uncompressed)."""
    return len(re.findall(rb"/Subtype\s*/Image", Path(pdf_path).read_bytes()))


def text_top_mm(pdf_path: Path, index: int, needle: str) -> float:
    """How far below the top edge of the page, in mm, the first occurrence of `needle` begins."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        page = doc[index]
        tp = page.get_textpage()
        hit = tp.search(needle).get_next()
        assert hit is not None, f"{needle!r} not found on page {index + 1}"
        _, _, _, top = tp.get_charbox(hit[0])
        return (page.get_height() - top) / 72 * 25.4
    finally:
        doc.close()


def xmp(pdf_path: Path) -> str:
    """The XMP packet's <x:xmpmeta> element as text (fpdf2 stores it uncompressed)."""
    data = Path(pdf_path).read_bytes()
    start = data.index(b"<x:xmpmeta")
    end = data.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
    return data[start:end].decode("utf-8")


def link_targets(pdf_path: Path, index: int) -> list[int]:
    """Page indexes that the links on a page jump to, in the order the page stores them."""
    doc = pdfium.PdfDocument(str(pdf_path))
    found: list[int] = []
    try:
        page = doc[index]
        pos, link = ctypes.c_int(0), raw.FPDF_LINK()
        while raw.FPDFLink_Enumerate(page, ctypes.byref(pos), ctypes.byref(link)):
            dest = raw.FPDFLink_GetDest(doc, link)
            if dest:
                found.append(raw.FPDFDest_GetDestPageIndex(doc, dest))
    finally:
        doc.close()
    return found
