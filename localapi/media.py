"""Methods that carry files: uploads, file ids, and getFile."""

from __future__ import annotations

from typing import Any

from .methods import (
    METHODS,
    Files,
    Handler,
    Params,
    StoredFile,
    Telegram,
    bad_request,
    formatted,
    method,
)

MEDIA_KINDS = ("document", "audio", "video", "voice", "animation", "sticker")


def upload(tg: Telegram, params: Params, files: Files, field: str, folder: str) -> StoredFile:
    if field in files:
        filename, data = files[field]
        return tg.store_file(folder, filename, data)
    ref = params.get(field)
    if isinstance(ref, str) and ref in tg.files:
        return tg.files[ref]
    if isinstance(ref, str) and ref.startswith(("http://", "https://")):
        return tg.store_file(folder, ref.rsplit("/", 1)[-1] or "remote", b"")
    raise bad_request("wrong file identifier/HTTP URL specified")


@method("sendPhoto")
def send_photo(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    stored = upload(tg, p, f, "photo", "photos")
    size = {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "width": 1280,
        "height": 720,
        "file_size": len(stored.data),
    }
    return tg.bot_message(p, {"photo": [size], **formatted(p, "caption", 1024)})


def _send_media(kind: str) -> Handler:
    def send(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
        stored = upload(tg, p, f, kind, kind + "s")
        media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": stored.filename,
            "file_size": len(stored.data),
        }
        if kind in ("video", "animation", "sticker"):
            media.update(width=512, height=512)
        if kind in ("audio", "voice", "video", "animation"):
            media["duration"] = 1
        if kind == "sticker":
            media.update(type="regular", is_animated=False, is_video=False)
        return tg.bot_message(p, {kind: media, **formatted(p, "caption", 1024)})

    return send


for _kind in MEDIA_KINDS:
    METHODS["send" + _kind.capitalize()] = _send_media(_kind)


@method("sendLocation")
def send_location(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    location = {"latitude": p.get("latitude"), "longitude": p.get("longitude")}
    return tg.bot_message(p, {"location": location})


@method("getFile")
def get_file(tg: Telegram, p: Params, f: Files, bot_id: int) -> Any:
    stored = tg.files.get(str(p.get("file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "file_size": len(stored.data),
        "file_path": stored.path,
    }
