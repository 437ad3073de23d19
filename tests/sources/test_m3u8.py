"""The playlist parser and the variant picker are pure: plain text in, plain data out."""

from __future__ import annotations

import pytest

from pipeline.sources.m3u8 import (InitSection, MasterPlaylist, MediaPlaylist, PlaylistError, Variant,
                                   parse_playlist, pick_variant)

BASE = "https://cdn.example/course/lec1/index.m3u8"


def test_media_playlist_resolves_relative_and_absolute_uris():
    pl = parse_playlist("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg0.ts\n#EXTINF:3.5,title\n"
                        "/other/seg1.ts\n#EXTINF:2,\nhttps://edge.example/seg2.ts?sig=1\n#EXT-X-ENDLIST\n", BASE)
    assert isinstance(pl, MediaPlaylist) and pl.ended and pl.encryption == "NONE"
    assert [s.uri for s in pl.segments] == ["https://cdn.example/course/lec1/seg0.ts",
                                            "https://cdn.example/other/seg1.ts", "https://edge.example/seg2.ts?sig=1"]
    assert pl.duration == pytest.approx(9.5)


def test_byteranges_continue_and_map_is_attached():
    pl = parse_playlist('#EXTM3U\n#EXT-X-MAP:URI="init.mp4",BYTERANGE="700@0"\n'
                        "#EXTINF:2,\n#EXT-X-BYTERANGE:1000@700\nmain.mp4\n"
                        "#EXTINF:2,\n#EXT-X-BYTERANGE:500\nmain.mp4\n#EXT-X-ENDLIST\n", BASE)
    assert [s.byterange for s in pl.segments] == [(1000, 700), (500, 1700)]
    assert pl.segments[0].init == InitSection("https://cdn.example/course/lec1/init.mp4", (700, 0))


def test_key_method_none_is_not_encryption_but_aes_is():
    plain = parse_playlist("#EXTM3U\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n", BASE)
    assert plain.encryption == "NONE"
    sealed = parse_playlist('#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k"\n#EXTINF:2,\na.ts\n', BASE)
    assert sealed.encryption == "SAMPLE-AES" and not sealed.ended


def test_vod_playlist_type_counts_as_ended():
    assert parse_playlist("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2,\na.ts\n", BASE).ended


def test_master_attributes_with_quoted_commas():
    pl = parse_playlist('\ufeff#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1280000,CODECS="avc1.4d401f,mp4a.40.2",'
                        'RESOLUTION=1280x720,NAME="screen"\nscreen/720.m3u8\n', BASE)
    assert isinstance(pl, MasterPlaylist)
    assert pl.variants == [Variant("https://cdn.example/course/lec1/screen/720.m3u8", 1280000, (1280, 720),
                                   "avc1.4d401f,mp4a.40.2", "screen")]


@pytest.mark.parametrize("text", ["", "hello\n", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n",
                                  "#EXTM3U\n#EXTINF:abc,\na.ts\n"])
def test_bad_playlists(text):
    with pytest.raises(PlaylistError):
        parse_playlist(text, BASE)


def test_pick_variant_prefers_bandwidth_then_resolution_and_skips_audio_only():
    a = Variant("a", 800_000, (1280, 720))
    b = Variant("b", 800_000, (1920, 1080))
    c = Variant("c", 400_000, (3840, 2160))
    audio = Variant("audio", 5_000_000, None, "mp4a.40.2")
    assert pick_variant([a, c, b, audio]) is b
    assert pick_variant([audio]) is audio
    with pytest.raises(PlaylistError):
        pick_variant([])
