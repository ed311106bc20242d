"""Words on a poster are checked by a real OCR model (rapidocr ships its ONNX models): diffusion
models misspell, and the designer needs to know before the client does."""
from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipelines.ocr import RapidTextReader, check_text


def poster(words: str) -> Image.Image:
    image = Image.new("RGB", (640, 240), "navy")
    ImageDraw.Draw(image).text((30, 80), words, fill="gold", font=ImageFont.load_default(size=64))
    return image


@pytest.fixture(scope="module")
def reader():
    return RapidTextReader()


def test_the_reader_reads_printed_words_and_nothing_from_a_blank(reader):
    spelled, misspelled, blank = reader.read([poster("JAZZ NIGHT"), poster("JAZZ NIGT"), Image.new("RGB", (64, 64))])

    assert check_text("Jazz Night", spelled).verdict == "exact"
    assert check_text("Jazz Night", misspelled).verdict == "near"
    assert blank == ()


@pytest.mark.parametrize("lines, verdict, read", [
    (("JAZZ NIGHT",), "exact", "JAZZ NIGHT"),
    (("jazz night!",), "exact", "jazz night!"),
    (("FRIDAY", "JAZZ", "NIGHT"), "exact", "JAZZ NIGHT"),  # split over lines
    (("Live: JAZZ NIGHT at 9",), "exact", "Live: JAZZ NIGHT at 9"),  # inside a longer line
    (("JAZZ NIGT",), "near", "JAZZ NIGT"),
    (("BLUES",), "missing", "BLUES"),
    ((), "missing", ""),
])
def test_a_reading_is_exact_near_or_missing(lines, verdict, read):
    found = check_text("JAZZ NIGHT", lines)

    assert (found.verdict, found.read) == (verdict, read)
