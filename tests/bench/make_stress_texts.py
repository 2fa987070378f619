# Writes stress_texts.jsonl / stress_pairs.jsonl: the synthetic texts behind tests/data/tokenizers/extra.
import json, random
random.seed(20261128)
pool = """CT of the chest shows a 2.3 cm spiculated nodule in the RUL, suspicious for malignancy.
MRI brain: T2/FLAIR hyperintensities in periventricular white matter; no enhancement.
Impression: No acute intracranial abnormality. Recommend f/u in 3-6 mo.
whats the diffrence betwen a ct scan and mri?? my dr said i need one
Can u get cancer from xrays?!?! im worried abt radiation
Pt s/p R TKA, c/o pain. XR: hardware intact, no lucency.
Lungs: clear bilaterally.  Heart size normal.   Mediastinum unremarkable.
don't I'm we'll they've she'd it's John's O'Neil rock'n'roll
Ελληνικά κείμενα με τόνους: ακτινογραφία θώρακος
Рентгенография грудной клетки без патологии
التصوير بالرنين المغناطيسي للدماغ
צילום חזה תקין
मस्तिष्क का एमआरआई स्कैन ४५६
ภาพเอกซเรย์ทรวงอก
흉부 엑스레이 정상 소견입니다
胸部X線写真で異常なし。カタカナ ひらがな
肺结节的CT表现是什么？
Emoji test 👩🏽‍⚕️ 🩻 ❤️ 🧠🫁 👍🏿 🇺🇸 
Full-width ＣＴ　ｓｃａｎ　１２３ and ligature ﬁbrosis ﬂuid ² ³ ½ Ⅻ ℃ µm Å
Accents: café naïve résumé São Paulo Zürich Ångström œdème
Spaces:\u00a0nbsp\u2003em\u3000ideo\u200bzwsp\ufeffbom soft\u00adhyphen
Controls:\tTab\rCR\nLF\x0bVT\x0cFF\x1cFS\x85NEL\u2028LS\u2029PS end
Digits ٣٤٥ ۷۸ १२३ ๑๒๓ 3.14 1,000,000 10^-3 5x10mm T1-weighted 18F-FDG
Math ≤ ≥ ± × ÷ → ∑ ∫ √ ∞ ≠ ≈ °C §12 ¶ © ® ™ € £ ¥ $100 #hashtag @user http://x.org/a?b=c
Quotes “curly” ‘single’ „low“ «guillemets» ‹a› – — … · • ‧
<s> literal </s> <pad> <mask> [CLS] [SEP] [MASK] [UNK] <unk>
Zalgo z̷̢a̵l̶g̸o̴ combining e\u0301 a\u0308 n\u0303 decomposed
UPPER CASE REPORT WITH ABBREVIATIONS: PE, DVT, COPD, CHF, AAA.
mixedCase camelCase snake_case kebab-case dot.separated path/to/file.nii.gz
    leading and trailing spaces   
"""
lines = [l.encode('utf-8').decode('unicode_escape').encode('latin-1').decode('utf-8') if '\\u' in l or '\\x' in l or '\\t' in l else l for l in pool.split('\n') if l]
words = ' '.join(lines).split(' ')
out = [l for l in lines]
for i in range(240):
    n = random.randint(1, 60)
    sep = random.choice([' ', ' ', ' ', '  ', '\n', '\t', '', ' '])
    s = sep.join(random.choice(words) for _ in range(n))
    if random.random() < 0.3:
        s = ''.join(random.choice([c.upper(), c.lower(), c]) for c in s)
    if random.random() < 0.2:
        s = s + random.choice([' ', '  ', '\n', '.', '?!', ' ...'])
    out.append(s)
# long texts
for i in range(6):
    out.append(' '.join(random.choice(words) for _ in range(random.randint(400, 900))))
with open('stress_texts.jsonl', 'w') as f:
    for s in out: f.write(json.dumps({"text": s}, ensure_ascii=False) + '\n')
pairs = []
for i in range(120):
    pairs.append({"query": random.choice(out), "doc": random.choice(out)})
with open('stress_pairs.jsonl', 'w') as f:
    for p in pairs: f.write(json.dumps(p, ensure_ascii=False) + '\n')
print(len(out), len(pairs))
