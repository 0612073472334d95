"""The character vocabulary: '.' = 0, then the sorted characters of the data."""
from .words import END


class Vocab:
    """Characters <-> integers, the lecture's `stoi` / `itos`.

    `itos` is a tuple (index -> character), `stoi` a dict (character -> index);
    index 0 is always '.', the start/end token.
    """
    __slots__ = ("itos", "stoi")

    def __init__(self, itos):
        itos = tuple(itos)
        if not itos or itos[0] != END:
            raise ValueError(f"a vocabulary starts with {END!r}, got {itos[:1]!r}")
        for ch in itos:
            if not isinstance(ch, str) or len(ch) != 1:
                raise ValueError(f"vocabulary entries are single characters, got {ch!r}")
        if len(set(itos)) != len(itos):
            raise ValueError("the vocabulary repeats a character")
        self.itos = itos
        self.stoi = {ch: i for i, ch in enumerate(itos)}

    def __len__(self):
        return len(self.itos)

    def __eq__(self, other):
        return isinstance(other, Vocab) and self.itos == other.itos

    def __hash__(self):
        return hash(self.itos)

    def encode(self, word):
        """The indices of a word's characters (a KeyError names an unknown one)."""
        try:
            return [self.stoi[ch] for ch in word]
        except KeyError as e:
            raise KeyError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, indices):
        """The string of the characters at `indices`."""
        return "".join(self.itos[int(i)] for i in indices)

    def __repr__(self):
        return f"Vocab({''.join(self.itos)!r})"


def build_vocab(words):
    """'.' = 0, then the sorted characters of `words` (a..z = 1..26 for the names)."""
    chars = sorted(set("".join(words)))
    if not chars:
        raise ValueError("no characters: the word list is empty")
    if END in chars:
        raise ValueError(f"{END!r} is reserved for the start/end token and cannot be in a word")
    return Vocab((END, *chars))


NAMES_VOCAB = Vocab(END + "abcdefghijklmnopqrstuvwxyz")
"""The vocabulary of the bundled names: '.', then a..z."""
