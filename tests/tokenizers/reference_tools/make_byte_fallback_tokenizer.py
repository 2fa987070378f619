# A small Llama-style tokenizer.json for tests: BPE with byte fallback and fused unknowns, a Prepend + Replace
# normalizer, no pre-tokenizer, and the Replace/ByteFallback/Fuse/Strip decoder chain. Its 400 merges are learnt
# greedily from tests/data/texts/public_texts.json (run from the repository root).
# usage: python3 tests/tokenizers/reference_tools/make_byte_fallback_tokenizer.py > tests/data/tokenizers/files/synthetic/bpe-byte-fallback.tokenizer.json
import collections, json

texts = json.load(open('tests/data/texts/public_texts.json'))
words = collections.Counter('\u2581' + w for t in texts for w in t.split())
vocab = {'<unk>': 0, '<s>': 1, '</s>': 2}
for b in range(256):
    vocab['<0x%02X>' % b] = len(vocab)
for c in sorted({c for w in words for c in w if ord(c) < 128 or c == '\u2581'}):
    vocab.setdefault(c, len(vocab))
seqs = {w: [c if c in vocab else None for c in w] for w in words}
merges = []
for _ in range(400):
    pairs = collections.Counter()
    for w, s in seqs.items():
        for a, b in zip(s, s[1:]):
            if a and b:
                pairs[(a, b)] += words[w]
    if not pairs:
        break
    (a, b), _ = pairs.most_common(1)[0]
    merges.append(a + ' ' + b)
    vocab[a + b] = len(vocab)
    for w, s in seqs.items():
        out, i = [], 0
        while i < len(s):
            if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(s[i])
                i += 1
        seqs[w] = out
special = lambda i, c: {'id': i, 'content': c, 'single_word': False, 'lstrip': False, 'rstrip': False,
                        'normalized': False, 'special': True}
print(json.dumps({
    'version': '1.0', 'truncation': None, 'padding': None,
    'added_tokens': [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    'normalizer': {'type': 'Sequence', 'normalizers': [{'type': 'Prepend', 'prepend': '\u2581'},
                                                       {'type': 'Replace', 'pattern': {'String': ' '}, 'content': '\u2581'}]},
    'pre_tokenizer': None,
    'post_processor': {'type': 'TemplateProcessing',
                       'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
                       'pair': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                                {'SpecialToken': {'id': '<s>', 'type_id': 1}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
                       'special_tokens': {'<s>': {'id': '<s>', 'ids': [1], 'tokens': ['<s>']}}},
    'decoder': {'type': 'Sequence', 'decoders': [{'type': 'Replace', 'pattern': {'String': '\u2581'}, 'content': ' '},
                                                  {'type': 'ByteFallback'}, {'type': 'Fuse'},
                                                  {'type': 'Strip', 'content': ' ', 'start': 1, 'stop': 0}]},
    'model': {'type': 'BPE', 'dropout': None, 'unk_token': '<unk>', 'continuing_subword_prefix': None,
              'end_of_word_suffix': None, 'fuse_unk': True, 'byte_fallback': True, 'ignore_merges': False,
              'vocab': vocab, 'merges': merges}}, ensure_ascii=False))
