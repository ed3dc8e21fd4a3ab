import pytest

from loadtests.units import format_size, parse_duration, parse_size


@pytest.mark.parametrize("text, value", [
    ("64KB", 64_000), ("64KiB", 65_536), ("1MB", 1_000_000), ("1MiB", 2**20), ("1GiB", 2**30),
    ("512", 512), ("10B", 10), ("1.5MB", 1_500_000), (" 32 mb ", 32_000_000), ("2k", 2048)])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "MB", "12XB", "-1MB", "0", "1.2.3KB", "abc"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError, match="bad size"):
        parse_size(text)


@pytest.mark.parametrize("text, value", [
    ("15s", 15.0), ("2m", 120.0), ("500ms", 0.5), ("1h", 3600.0), ("3", 3.0), ("1.5s", 1.5)])
def test_parse_duration(text, value):
    assert parse_duration(text) == value


@pytest.mark.parametrize("text", ["", "s", "10x", "0s", "-5s"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


@pytest.mark.parametrize("n, label", [(65536, "64KiB"), (1_000_000, "1MB"), (2**30, "1GiB"),
                                      (1500, "1.5KB"), (12, "12B")])
def test_format_size(n, label):
    assert format_size(n) == label
    assert abs(parse_size(label) - n) / n < 0.01  # labels read back as (nearly) the same size
