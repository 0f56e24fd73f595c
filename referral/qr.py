"""QR images of deep links (PNG or SVG bytes)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg

FORMATS = ("png", "svg")


def render_qr(link: str, image_format: str = "png") -> bytes:
    if image_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    # Medium error correction survives a smudged print or a logo sticker.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(link)
    qr.make(fit=True)
    buffer = io.BytesIO()
    if image_format == "svg":
        qr.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    else:
        qr.make_image(fill_color="black", back_color="white").save(buffer)
    return buffer.getvalue()
