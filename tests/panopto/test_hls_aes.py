"""AES-128 in HLS playlists: keys and IVs parsed per segment, and segments decrypted (or refused clearly)."""

from __future__ import annotations

import os

import pytest

from pipeline.errors import CorruptMedia
from pipeline.sources.hls import _decrypt_aes128, check_playable
from pipeline.sources.m3u8 import PlaylistError, parse_playlist
from tests.fakes.panopto import _encrypt

PLAYLIST = """#EXTM3U
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:7
#EXT-X-KEY:METHOD=AES-128,URI="keys/k1"
#EXTINF:2,
a.ts
#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.edu/k2",IV=0x000102030405060708090a0b0c0d0e0f
#EXTINF:2,
b.ts
#EXT-X-KEY:METHOD=NONE
#EXTINF:2,
c.ts
#EXT-X-ENDLIST
"""


def test_keys_ivs_and_sequence_numbers_per_segment():
    pl = parse_playlist(PLAYLIST, "https://cdn.example.edu/s/index.m3u8")
    a, b, c = pl.segments
    assert (a.key.uri, a.key.iv, a.sequence) == ("https://cdn.example.edu/s/keys/k1", None, 7)
    assert (b.key.uri, b.key.iv, b.sequence) == ("https://keys.example.edu/k2", bytes(range(16)), 8)
    assert c.key is None and c.sequence == 9 and pl.encryption == "AES-128"
    check_playable(pl, "the stream", aes128=True)
    with pytest.raises(Exception, match="encrypted HLS streams are not supported yet"):
        check_playable(pl, "the stream")
    with pytest.raises(PlaylistError, match="bad EXT-X-KEY IV"):
        parse_playlist(PLAYLIST.replace("0x000102030405060708090a0b0c0d0e0f", "0xZZ"), "https://x/i.m3u8")


def test_decrypt_round_trip_and_a_wrong_key():
    key, iv, data = os.urandom(16), (7).to_bytes(16, "big"), os.urandom(1000)
    sealed = _encrypt(data, key, iv)
    assert _decrypt_aes128(sealed, key, iv, "segment 1", "the stream") == data
    with pytest.raises(CorruptMedia):
        _decrypt_aes128(sealed[:-3], key, iv, "segment 1", "the stream")
    wrong = os.urandom(16)
    try:
        out = _decrypt_aes128(sealed, wrong, iv, "segment 1", "the stream")
    except CorruptMedia as e:
        assert "does not decrypt" in e.message
    else:  # a wrong key may still end in valid-looking padding; it never gives the plain bytes back
        assert out != data
