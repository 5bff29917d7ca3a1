"""Names people see: usernames that cannot pass for one another, display names without tricks.

A username is stored NFKC-normalised and is unique by its lower-case form (`ALICE` is
`alice`) and by its *skeleton*: two names with the same skeleton look alike (`alice`, `аlice`
with a Cyrillic а, `a1ice`, `aIice` with a capital i, `ａｌｉｃｅ`), so the second is taken.

The skeleton follows Unicode TR39's recipe (decompose, replace each confusable character with
its prototype, compare) with a table cut down to what a username can hold: letters and digits
that look like an ASCII letter, digit or `. _ - +`, from Unicode's confusables.txt (as shipped
in the confusable-homoglyphs 3.3.1 data, MIT), less those NFKC already folds (fullwidth and
mathematical letters). On top of TR39 it folds `0` to `o` and `1` and `I` to `l`, and ignores
case once look-alike capitals are folded (`Вob` with a Cyrillic В is `bob`). It errs on the
side of refusing: `bob0` and `bobo` share one.

A display name loses bidi controls, zero-width and other invisible characters, is NFKC
normalised, and has its whitespace collapsed; what is left may be empty.
"""

import unicodedata

# prototype -> characters that pass for it. Right-to-left and non-BMP letters are escaped.
_LOOKALIKES = {
    "+": "\U0001029b",
    "-": "Ⲻ",
    ".": "\u0660\u06f0ꓸ",
    "2": "ƧϨᒿꙄꛯꝚ",
    "3": "ƷȜЗӠⳌꝪꞫ\U000118ca\U00016f3b",
    "4": "Ꮞ\U000118af",
    "5": "Ƽ\U000118bb",
    "6": "бᏮⳒ\U000118d5",
    "7": "\U000104d2\U000118c6",
    "8": "Ȣȣ৪੪\U0001031a\U0001e8cb",
    "9": "৭੧୨൭ⳊꝮ\U000118ac\U000118cc\U000118d6",
    "_": "\u07fa",
    "a": "ɑΑαАаᎪᗅꓮ\U000102a0\U00016f40",
    "b": "ƄΒВЬᏏᏴᑲᖯᗷꓐꞴ\U00010282\U000102a1\U00010301",
    "c": "СсᏟᴄⲤⲥꓚꮯ\U000102a2\U00010302\U00010415\U0001043d\U0001051c\U000118e9\U000118f2",
    "d": "ԁᎠᏧᑯᗞᗪꓒꓓ",
    "e": "ΕЕеҽᎬⴹꓰꬲ\U00010286\U000118a6\U000118ae",
    "f": "ϜքᖴẝꓝꞘꞙꬵ\U00010287\U000102a5\U00010525\U000118a2\U000118c2",
    "g": "ƍɡԌցᏀᏳᶃꓖ",
    "h": "ΗНһհᎻᏂᕼⲎꓧ\U000102cf",
    "i": "ıɩɪιіӏᎥꙇꭵ\U000118c3",
    "j": "ͿϳЈјᎫᒍꓙꞲ",
    "k": "ΚКᏦᛕⲔꓗ\U00010518",
    "l": "ƖǀΙІӀ\u05d5\u05df\u0627\u0661\u06f1\u07caᏞᒪᛁⲒⳐⵏꓡꓲ\U0001028a\U00010309\U00010320\U0001041b\U00010526\U000118a3\U000118b2\U00016f16\U00016f28\U0001e8c7",
    "m": "ΜϺМᎷᗰᛖⲘꓟ\U000102b0\U00010311",
    "n": "ΝոռⲚꓠ\U00010513",
    "o": "ΟοσОоՕօ\u05e1\u0647\u0665\u06be\u06c1\u06d5\u06f5\u07c0०০੦૦ଠ୦௦౦೦ഠ൦๐໐ဝ၀ჿዐᴏᴑⲞⲟⵔ〇ꓳꬽ\U00010292\U000102ab\U00010404\U0001042c\U000104c2\U000104ea\U00010516\U000114d0\U000118b5\U000118c8\U000118d7\U000118e0",
    "p": "ΡρРрᏢᑭⲢⲣꓑ\U00010295",
    "q": "ԛգզⵕ",
    "r": "ƦгᎡᏒᖇᴦⲅꓣꭇꭈꮁ\U000104b4\U00016f35",
    "s": "ƽЅѕՏᏕᏚꓢꜱꮪ\U00010296\U00010420\U00010448\U000118c1\U00016f3a",
    "t": "ΤТᎢⲦꓔ\U00010297\U000102b1\U00010315\U000118bc\U00016f0a",
    "u": "ʋυՍսሀᑌᴜꓴꞟꭎꭒ\U000104ce\U000104f6\U000118b8\U000118d8\U00016f42",
    "v": "νѴѵ\u05d8\u0667\u06f7Ꮩᐯᴠⴸꓦꛟꮩ\U0001051d\U00011706\U000118a0\U000118c0\U00016f08",
    "w": "ɯѡԜԝաᎳᏔᴡꓪꮃ\U0001170a\U0001170e\U0001170f\U000118e6\U000118ef",
    "x": "ΧХхᕁᕽᚷⲬⵝꓫꞳ\U00010290\U000102b4\U00010317\U00010322\U00010527\U000118ec",
    "y": "ɣʏΥγУуҮүყᎩᎽᶌỿⲨꓬꭚ\U000102b2\U000118a4\U000118dc\U00016f43",
    "z": "ΖᏃᴢꓜꮓ\U000102f5\U000118a9\U000118c4\U000118e5",
}
# ASCII look-alikes within ASCII. Case is folded after this mapping, so `I` (capital i) must
# become `l` here, before it turns into `i`.
_ASCII_LOOKALIKES = {"0": "o", "1": "l", "I": "l"}
# Multi-letter look-alikes from confusables.txt: `m` is written as its prototype `rn`.
_SEQUENCES = (("m", "rn"),)

_FOLD = str.maketrans({char: proto for proto, chars in _LOOKALIKES.items() for char in chars} | _ASCII_LOOKALIKES)

# Default-ignorable code points outside the Cf category (which is dropped whole): they render
# as nothing, or as blank space that is not whitespace.
_INVISIBLE = frozenset(
    [chr(0x034F), chr(0x115F), chr(0x1160), chr(0x17B4), chr(0x17B5), chr(0x2800), chr(0x3164), chr(0xFFA0)]
    + [chr(c) for c in range(0x180B, 0x1810)]
    + [chr(c) for c in range(0xFE00, 0xFE10)]
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
)
# Control (Cc), format (Cf: bidi overrides and isolates, ZWSP/ZWNJ/ZWJ, word joiner, BOM,
# soft hyphen, U+061C ...) and surrogate (Cs, never valid UTF-8) characters.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def username_normalize(value: str) -> str:
    """The form a username is stored in: NFKC (as Django's own user model does), trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


def username_visible(value: str) -> str:
    """`value` without the characters that render as nothing (Hangul fillers, variation
    selectors, …): a username must be readable as what it is."""
    return "".join(
        char for char in value if char not in _INVISIBLE and unicodedata.category(char) not in _DROPPED_CATEGORIES
    )


def username_readable(value: str) -> bool:
    """True when every character of `value` shows, and at least one is a letter or digit
    (`...` or three Hangul fillers are not names anyone can read or type)."""
    return username_visible(value) == value and any(char.isalnum() for char in value)


def username_skeleton(value: str) -> str:
    """What a username looks like: equal skeletons mean one could pass for the other."""
    text = unicodedata.normalize("NFD", username_normalize(value)).translate(_FOLD)
    # Folding again after casefold catches capitals whose small letter is the look-alike.
    text = unicodedata.normalize("NFD", text.casefold()).translate(_FOLD)
    for sequence, prototype in _SEQUENCES:
        text = text.replace(sequence, prototype)
    return unicodedata.normalize("NFC", text)


def display_name_clean(value: str) -> str:
    """A display name with nothing hidden in it: no bidi tricks, no invisible characters."""
    kept = []
    for char in unicodedata.normalize("NFKC", value):
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES and char not in _INVISIBLE:
            kept.append(char)
    return " ".join("".join(kept).split())
