"""Small parts on their own: roles, the upload sniffer, signed download tokens."""

from __future__ import annotations

import pytest

from lti.roles import MANAGE, VIEW, access, context_roles
from lti.uploads import sniff
from pipeline.errors import InputError
from pipeline.signed import sign_download, verify_download

M = "http://purl.imsglobal.org/vocab/lis/v2/membership"


@pytest.mark.parametrize("roles, ta, expected", [
    ([f"{M}#Instructor"], MANAGE, MANAGE),
    (["Instructor"], MANAGE, MANAGE),                                   # Moodle's short name
    ([f"{M}#ContentDeveloper"], MANAGE, MANAGE),
    ([f"{M}#Administrator"], MANAGE, MANAGE),
    ([f"{M}#Learner"], MANAGE, VIEW),
    (["Learner"], MANAGE, VIEW),
    ([f"{M}#Mentor"], MANAGE, VIEW),
    ([f"{M}/Instructor#TeachingAssistant", f"{M}#Instructor"], MANAGE, MANAGE),
    ([f"{M}/Instructor#TeachingAssistant", f"{M}#Instructor"], VIEW, VIEW),   # Canvas's TA, limited
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"], MANAGE, None),
    (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], MANAGE, None),
    ([], MANAGE, None),
    ([None, 3, f"{M}#Learner"], MANAGE, VIEW),
])
def test_access_from_context_roles(roles, ta, expected):
    assert access(roles, ta) == expected


def test_context_roles_names():
    assert context_roles([f"{M}#Instructor", f"{M}/Instructor#TeachingAssistant", "Learner"]) == {
        "Instructor", "Instructor#TeachingAssistant", "Learner"}


@pytest.mark.parametrize("head, suffix", [
    (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 8, ".mp4"),
    (b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 8, ".mov"),
    (b"\x1a\x45\xdf\xa3" + b"\x00" * 12, ".mkv"),
    (b"RIFF\x00\x00\x00\x00AVI LIST", ".avi"),
    (b"\x47" + b"\x00" * 187 + b"\x47" + b"\x00" * 10, ".ts"),
    (b"<!DOCTYPE html><html>", None),
    (b"%PDF-1.5 xxxxxxxx", None),
    (b"\x89PNG\r\n\x1a\nxxxxxxxx", None),
    (b"ID3\x04\x00" + b"\x00" * 12, None),
    (b"just some text here", None),
])
def test_sniff(head, suffix):
    assert sniff(head)[0] == suffix


def test_signed_download_round_trip_and_refusals():
    token = sign_download("k", "job1", "notes.pdf", "user-1", 60, now=1000)
    assert verify_download("k", token, now=1030) == {"j": "job1", "n": "notes.pdf", "s": "user-1", "e": 1060}
    with pytest.raises(InputError, match="expired"):
        verify_download("k", token, now=1061)
    with pytest.raises(InputError, match="not valid"):
        verify_download("other", token, now=1030)
    with pytest.raises(InputError, match="not valid"):
        verify_download("k", "garbage", now=1030)
    body, mac = token.split(".")
    with pytest.raises(InputError, match="not valid"):
        verify_download("k", body[:-2] + "xx." + mac, now=1030)
