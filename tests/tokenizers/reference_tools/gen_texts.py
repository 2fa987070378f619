# Adversarial texts for tokenizer parity: fixture words (with typos) mixed with runs drawn from many scripts,
# whitespace kinds, control / unassigned code points, emoji, symbols, numbers and literal special tokens.
# usage: python3 gen_texts.py SEED COUNT > texts.jsonl   (run from the repository root)
import json, random, sys
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
fx = json.load(open('tests/data/texts/public_texts.json'))
texts0 = [t if isinstance(t, str) else t.get('text', '') for t in (fx if isinstance(fx, list) else fx.get('texts', []))]
words = ' '.join(texts0).split()
pools = {
 'ascii': [chr(c) for c in range(32, 127)],
 'ws': ['\t','\n','\r','\v','\f','\x85','\xa0','\u1680','\u2000','\u2003','\u200a','\u2028','\u2029','\u202f','\u205f','\u3000','\u200b','\ufeff','\u180e','  ','   '],
 'ctrl': [chr(c) for c in list(range(0,32))+[127]] + ['\u200c','\u200d','\u2060','\u00ad','\ue000','\U000f0000','\u0378','\ufffe','\uffff','\U0010ffff','\ufffd'],
 'latin': list('àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿĀāĂăĄąĆćČčĎďĐđĒēĖėĘęĚěĞğĢģĪīĮįİıĶķĹĺĻļĽľŁłŃńŅņŇňŌōŐőŒœŔŕŘřŚśŞşŠšŢţŤťŪūŮůŰűŲųŴŵŶŷŸŹźŻżŽžßẞǅǈǋ'),
 'comb': ['e\u0301','a\u0308','n\u0303','o\u0302\u0323','\u0301','\u20dd','i\u0307'],
 'greek': list('αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΣΩάέήίόύώϊϋΐΰ'),
 'cyr': list('абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙ'),
 'arabic': list('مرحبا بالعالم ٠١٢٣٤٥٦٧٨٩ ًٌٍَُِّْ'),
 'hebrew': list('שלום עולם'),
 'deva': list('नमस्ते दुनिया १२३ कि की कु'),
 'thai': list('สวัสดีชาวโลก ๑๒๓'),
 'cjk': list('漢字中文日本語한국어ひらがなカタカナ你好世界。、「」（）'),
 'emoji': ['😀','👍🏽','👨‍👩‍👧','❤️','🇫🇷','✔','☢','🧠','🩻'],
 'sym': list('©®™°±µ¶§¼½¾²³¹×÷∑∫√∞≈≠≤≥←→↑↓•…–—‘’“”‹›«»€£¥₹₿ﬁﬂ①②ⅣⅫ％＄ＡＢＣａｂｃ１２３'),
 'special': [' <s>','</s>',' <mask>','<mask> ','<pad>','<unk>','[CLS]',' [SEP] ','[MASK]','[UNK]','[PAD]','<s','mask>','[cls]',"'s","'S","'ll","'ve","'re","'d","'m","'t","''s", "n't"],
 'num': ['3.5','1,000','2024-01-05','10mg/kg','T2-weighted','5x4.2cm','0.001','1e-9','#12','$400','50%','C3-C4','L5/S1'],
}
def typo(w):
    if len(w) < 3: return w
    i = random.randrange(len(w)-1); op = random.randrange(4)
    if op == 0: return w[:i] + w[i+1] + w[i] + w[i+2:]
    if op == 1: return w[:i] + w[i+1:]
    if op == 2: return w[:i] + random.choice('abcdefghijklmnopqrstuvwxyz') + w[i:]
    return w.upper() if random.random() < .5 else w.capitalize()
out = []
keys = list(pools)
for n in range(int(sys.argv[2]) if len(sys.argv) > 2 else 2000):
    parts = []
    for _ in range(random.randint(1, 30)):
        r = random.random()
        if r < 0.45 and words:
            w = random.choice(words); parts.append(typo(w) if random.random() < .3 else w)
        else:
            k = random.choice(keys); parts.append(''.join(random.choice(pools[k]) for _ in range(random.randint(1, 6))))
        parts.append(random.choice([' ', ' ', ' ', '', '\n', '  ', '\t', ' \n ']))
    out.append(''.join(parts))
for t in out: print(json.dumps({'text': t}, ensure_ascii=False))
