"""Reading a word list: one word per line, UTF-8 (the bundled names by default)."""
from importlib import resources
from pathlib import Path

END = "."   # the lecture's start/end token: never part of a word


def load_names(path=None):
    """The words of a UTF-8 file, one per line (default: the bundled names.txt).

    Surrounding whitespace is stripped and blank lines are skipped.  Raises
    FileNotFoundError for a missing file and ValueError for a file that is
    not UTF-8, holds no word, or has a word containing "." (the lecture's
    start/end token).
    """
    if path is None:
        name = "the bundled names.txt"
        raw = resources.files(__package__).joinpath("names.txt").read_bytes()
    else:
        name = str(path)
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"data file not found: {name}")
        if p.is_dir():
            raise IsADirectoryError(f"data file is a directory: {name}")
        raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{name} is not UTF-8 text (bad byte at offset {e.start})") from None
    words = []
    for lineno, line in enumerate(text.splitlines(), 1):
        word = line.strip()
        if END in word:
            raise ValueError(f"{name}, line {lineno}: {word!r} contains {END!r}, which is "
                             f"reserved for the start/end token")
        if word:
            words.append(word)
    if not words:
        raise ValueError(f"{name} holds no word (empty, or only blank lines)")
    return words
