#!/usr/bin/python3
"""Writes the Hugging Face tokenizer fixtures the C++ tokenizers must match (tests/golden/hf/).

Run with Debian's python3-regex and python3-sentencepiece:
    /usr/bin/python3 tests/golden/make_tokenizer_golden.py

- hf/gpt2/vocab.json, hf/gpt2/merges.txt: a tiny GPT-2 byte-level BPE trained here, in the files
  Hugging Face's GPT2Tokenizer.save_vocabulary writes (all 256 byte symbols first, in code point
  order as in GPT-2's own vocabulary, then the merges, then <|endoftext|> as the last id).
- hf/llama/tokenizer.model: a tiny SentencePiece BPE set up like Llama's (byte fallback, unk 0,
  bos 1, eos 2, no pad, dummy prefix, split digits, identity normalisation).
- hf/tokenizer_encodings.json: test texts (not the training text) and their ids, from reference
  encoders independent of the C++ code: OpenAI's GPT-2 encoder.py algorithm with the `regex`
  module, and python sentencepiece's encode() of the whole text (Hugging Face's slow legacy
  LlamaTokenizer).
"""
import collections
import io
import json
import os

import regex
import sentencepiece as spm

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf")

# OpenAI's GPT-2 pre-tokenizer.
PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

TRAIN_TEXT = """Once upon a time, there was a little girl named Lily. She loved to play outside in the park.
One day, she saw a big dog. The dog's name was Max, and he'd run   very fast!
"I'm happy," said Lily. "We'll play again tomorrow, won't we?" They've played 12 times since 2019.
Her mother said: "It's 3:45 pm -- time to go home." Lily didn't want to go... but she went.
At the café, Lily and her naïve friend Zoë ate crème brûlée; it cost €4.50 (about $5).
In Tokyo (東京) the children say こんにちは and smile 🙂 at the sun.
    Indented lines, tabs\tand  double  spaces stay as they are.
The end.   

Once upon a time, a boy named Tom had a red ball. He played with the ball every day.
One day, the ball rolled into the garden. Tom ran after it, and he found a small cat.
"Hello, cat!" said Tom. The cat said "meow" and played with the ball too. They were friends.
The friends played in the garden and in the park, and they were very happy together.
Wide spaces end these lines:\u3000\u3000
and\u3000\u3000
this\u3000\u3000
and this\u3000\u3000
and this one, with no-break spaces:\u00a0\u00a0
so\u00a0\u00a0
does\u00a0\u00a0
this\u00a0\u00a0
"""

# Hard cases, none of them the training text: contractions in and out of the pattern ("IT'S"
# matches no contraction), runs of spaces before words and at line ends, tabs, digits, non-ASCII
# letters, a no-break space and an ideographic space (Unicode whitespace only with PCRE2_UCP),
# CJK, an emoji (4 UTF-8 bytes), leading and trailing spaces.
TEST_TEXTS = [
    "  Lily's dog didn't run; IT'S they'll   go, we've I'm you'd.\n"
    "The café's naïve owner said: \"Ünïcödé 東京は大きい 🙂🙂!\"\n"
    "Numbers: 2024, 3.14159, ½ and ٣٤ apples\tand\ttabs.  \n"
    "\n"
    "no\u00a0break and ideographic\u3000space \u00a0 end   \n"
    "wide\u3000\u3000gap, no-break\u00a0\u00a0gap\n"
    "   trailing spaces   ",
    "Hello world",
    " a",
    "\n\n  x\n",
]


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters (OpenAI's encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()


def train_gpt2_bpe(text, merges_wanted):
    """Plain BPE over byte-level symbols of the pre-tokenized words: the most frequent pair wins,
    ties to the lexicographically smallest pair."""
    words = collections.Counter(
        tuple(BYTE_ENCODER[b] for b in w.encode("utf-8")) for w in PATTERN.findall(text))
    merges = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged = collections.Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    vocab = {}
    for ch in sorted(BYTE_ENCODER.values()):
        vocab[ch] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab["<|endoftext|>"] = len(vocab)
    return vocab, merges


class Gpt2Encoder:
    """OpenAI's gpt-2/src/encoder.py, transcribed."""

    def __init__(self, encoder, bpe_merges, pat=PATTERN):
        self.encoder = encoder
        self.bpe_ranks = dict(zip(bpe_merges, range(len(bpe_merges))))
        self.pat = pat

    @staticmethod
    def get_pairs(word):
        return set(zip(word, word[1:]))

    def bpe(self, token):
        word = tuple(token)
        pairs = self.get_pairs(word)
        if not pairs:
            return token
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = self.get_pairs(word)
        return " ".join(word)

    def encode(self, text):
        ids = []
        for token in self.pat.findall(text):
            token = "".join(BYTE_ENCODER[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids


def write_gpt2(folder):
    vocab, merges = train_gpt2_bpe(TRAIN_TEXT, 119)  # 256 bytes + 119 merges + <|endoftext|> = 376 ids
    os.makedirs(folder, exist_ok=True)
    # As transformers' GPT2Tokenizer.save_vocabulary writes them.
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(vocab, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    reference = Gpt2Encoder(vocab, merges)
    check_sensitive(vocab, merges, reference)
    return reference, len(vocab)


def check_sensitive(vocab, merges, reference):
    """The first test text must tell the likely mistakes apart: \\s matching ASCII only (PCRE2
    without UCP), no \\s+(?!\\S) alternative, merges applied in reverse rank order."""
    space, other = r"[\t\n\v\f\r ]", r"[^\t\n\v\f\r ]"
    ascii_spaces = regex.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\t\n\v\f\r \p{L}\p{N}]+|%s+(?!%s)|%s+"
                                 % (space, other, space))
    no_lookahead = regex.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+")
    expected = reference.encode(TEST_TEXTS[0])
    for name, wrong in [("ASCII \\s", Gpt2Encoder(vocab, merges, ascii_spaces)),
                        ("no lookahead", Gpt2Encoder(vocab, merges, no_lookahead)),
                        ("reverse ranks", Gpt2Encoder(vocab, merges[::-1]))]:
        assert wrong.encode(TEST_TEXTS[0]) != expected, f"the test text does not catch: {name}"


def write_llama(folder):
    os.makedirs(folder, exist_ok=True)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAIN_TEXT.split("\n")), model_writer=model, vocab_size=384, model_type="bpe",
        byte_fallback=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1, split_digits=True, character_coverage=0.9995,
        normalization_rule_name="identity", remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
        input_sentence_size=0, num_threads=1, minloglevel=2)
    path = os.path.join(folder, "tokenizer.model")
    with open(path, "wb") as f:
        f.write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=path)
    return sp, sp.get_piece_size()


def main():
    gpt2, gpt2_vocab = write_gpt2(os.path.join(HERE, "gpt2"))
    llama, llama_vocab = write_llama(os.path.join(HERE, "llama"))
    cases = []
    for text in TEST_TEXTS:
        ids = llama.encode(text)
        assert llama.decode(ids) == text, text
        cases.append({"text": text, "gpt2": gpt2.encode(text), "llama": ids})
    # Encoding line by line (sinklab's own bpe kind) must give other ids than the whole text.
    by_line = []
    for i, line in enumerate(TEST_TEXTS[0].split("\n")):
        by_line += ([llama.piece_to_id("<0x0A>")] if i else []) + (llama.encode(line) if line else [])
    assert by_line != cases[0]["llama"], "the test text does not catch line-by-line encoding"
    out = {"gpt2_vocab_size": gpt2_vocab, "llama_vocab_size": llama_vocab, "cases": cases}
    with open(os.path.join(HERE, "tokenizer_encodings.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(out, ensure_ascii=False) + "\n")
    print(f"gpt2 vocab {gpt2_vocab}, llama vocab {llama_vocab}, {len(cases)} texts")


if __name__ == "__main__":
    main()
