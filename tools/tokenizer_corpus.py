"""Deterministic multilingual training text for the tiny SentencePiece model.

Everything here is written for m3kit or generated from Unicode ranges with a
fixed seed; no external corpus is used.  The text only needs to give the
Unigram trainer realistic-looking pieces in many scripts, so that the tiny
tokenizer exercises the same code paths as XLM-RoBERTa's (multi-character
pieces, whitespace handling, CJK single characters, unknown characters...).
"""

from __future__ import annotations

import random
from typing import Iterator, List

SENTENCES: List[str] = [
    # English
    "The quick brown fox jumps over the lazy dog.",
    "Dense, sparse and multi-vector retrieval can be combined in one model.",
    "Search engines rank documents by how well they match a query.",
    "A vector database stores embeddings and finds the nearest neighbours.",
    "Hybrid search mixes lexical matching with semantic similarity.",
    "The weather is nice today, so we are going for a walk in the park.",
    "Please send the report before Friday at 5 pm.",
    "Machine learning models need data, compute and careful evaluation.",
    "What is the capital of France? Paris is the capital of France.",
    "The giant panda is a bear species endemic to China.",
    "Tokenizers split text into pieces that a model can understand.",
    "Normalization maps full-width characters to their ASCII forms.",
    "She sells sea shells by the sea shore.",
    "It was the best of times, it was the worst of times.",
    "Read the documentation, then write the tests, then the code.",
    "Numbers like 3.14159, 2,718 and 1e-6 appear in technical text.",
    "Email me at someone@example.com or visit https://example.org/docs?id=42.",
    "function add(a, b) { return a + b; } // returns the sum",
    "for i in range(10): print(i * i)",
    "SELECT id, title FROM documents WHERE score > 0.5 ORDER BY score DESC;",
    "The meeting was moved to Monday, January 15th, 2024.",
    "Don't panic; it's only a test, isn't it?",
    "Large language models are trained on huge amounts of text.",
    "Information retrieval is the science of searching for information.",
    # French, German, Spanish, Italian, Portuguese, Dutch, Polish, Czech, Turkish
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    "L'été dernier, nous sommes allés à la plage près de Marseille.",
    "Où est la bibliothèque ? Elle est à côté de l'hôpital.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Die Straße ist sehr groß und die Bäume sind grün.",
    "Grüße aus München! Wir hören Musik und trinken Kaffee.",
    "El rápido zorro marrón salta sobre el perro perezoso.",
    "¿Dónde está la estación de tren? ¡Muchas gracias, señor!",
    "La niña comió una manzana y un plátano por la mañana.",
    "Il veloce volpe marrone salta sopra il cane pigro.",
    "Perché la città è così bella di notte?",
    "A rápida raposa marrom pula sobre o cão preguiçoso.",
    "Não sei se ele já chegou à estação.",
    "De snelle bruine vos springt over de luie hond.",
    "Zażółć gęślą jaźń. Szybki brązowy lis skacze nad leniwym psem.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Hızlı kahverengi tilki tembel köpeğin üzerinden atlar. Çok güzel!",
    "Şu anda İstanbul'da yağmur yağıyor.",
    # Nordic, Baltic, Romanian, Hungarian
    "Høj over fjorden svæver ørnen, og søen er blå.",
    "Åsa och Östen åt smörgåsar på tåget.",
    "Árvíztűrő tükörfúrógép és őszibarack.",
    "Înțelepciunea vine cu vârsta, spun bătrânii.",
    "Ąžuolas auga prie upės, o paukščiai čiulba.",
    # Vietnamese (precomposed)
    "Tiếng Việt có nhiều dấu thanh: sắc, huyền, hỏi, ngã, nặng.",
    "Tôi yêu Hà Nội và thành phố Hồ Chí Minh.",
    "Chúng tôi đang học cách tìm kiếm thông tin trên mạng.",
    "Phở bò là món ăn nổi tiếng của người Việt.",
    # Greek, Cyrillic
    "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
    "Καλημέρα! Πώς είσαι σήμερα;",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Москва — столица России, а Киев — столица Украины.",
    "Привет, как дела? Всё хорошо, спасибо!",
    "Поиск информации в больших коллекциях документов.",
    "Ґанок, їжак, єнот і ґудзик — українські слова.",
    "Бърза кафява лисица прескача мързеливото куче.",
    "Брза смеђа лисица прескаче лењог пса.",
    # Armenian, Georgian, Hebrew, Arabic, Persian, Urdu
    "Բարև ձեզ, ինչպե՞ս եք։",
    "გამარჯობა, როგორ ხარ? საქართველო ლამაზი ქვეყანაა.",
    "שלום עולם! זהו משפט בעברית.",
    "החיפוש במסמכים הוא משימה חשובה.",
    "مرحبا بالعالم! هذه جملة باللغة العربية.",
    "البحث عن المعلومات في قواعد البيانات الكبيرة.",
    "القاهرة هي عاصمة مصر، والرياض عاصمة السعودية.",
    "كَتَبَ الطَّالِبُ الدَّرْسَ بِعِنَايَةٍ.",
    "سلام دنیا! این یک جمله فارسی است.",
    "یہ اردو زبان کا ایک جملہ ہے۔",
    # Indic
    "नमस्ते दुनिया! यह हिंदी में एक वाक्य है।",
    "भारत की राजधानी नई दिल्ली है।",
    "सूचना पुनर्प्राप्ति एक महत्वपूर्ण क्षेत्र है।",
    "क्षत्रिय, त्र, ज्ञ, श्र जैसे संयुक्ताक्षर।",
    "नमस्कार, मी मराठी बोलतो.",
    "হ্যালো বিশ্ব! এটি একটি বাংলা বাক্য।",
    "வணக்கம் உலகம்! இது ஒரு தமிழ் வாக்கியம்.",
    "హలో ప్రపంచం! ఇది ఒక తెలుగు వాక్యం.",
    "ಹಲೋ ಜಗತ್ತು! ಇದು ಕನ್ನಡ ವಾಕ್ಯ.",
    "ഹലോ ലോകം! ഇത് ഒരു മലയാളം വാക്യമാണ്.",
    "ਸਤ ਸ੍ਰੀ ਅਕਾਲ! ਇਹ ਪੰਜਾਬੀ ਹੈ।",
    "નમસ્તે દુનિયા! આ ગુજરાતી વાક્ય છે.",
    "ආයුබෝවන් ලෝකය!",
    # Southeast Asian
    "สวัสดีชาวโลก นี่คือประโยคภาษาไทย",
    "การค้นหาข้อมูลในเอกสารจำนวนมากเป็นเรื่องสำคัญ",
    "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "ສະບາຍດີ ໂລກ",
    "សួស្តីពិភពលោក",
    "မင်္ဂလာပါ ကမ္ဘာလောက",
    "Selamat pagi! Apa kabar? Saya baik-baik saja.",
    "Magandang umaga po! Kumusta ka?",
    # Chinese (simplified, traditional)
    "你好，世界！这是一个中文句子。",
    "信息检索是一门研究如何查找信息的科学。",
    "北京是中国的首都，上海是最大的城市。",
    "大熊猫是中国特有的熊科动物。",
    "我们今天去公园散步，天气很好。",
    "向量数据库存储嵌入并查找最近的邻居。",
    "繁體中文：資訊檢索與自然語言處理。",
    "臺灣的夜市很熱鬧，有很多好吃的東西。",
    # Japanese
    "こんにちは、世界！これは日本語の文です。",
    "東京は日本の首都です。桜がとても綺麗です。",
    "情報検索は大量の文書から必要な情報を探す技術です。",
    "カタカナで書くと、コンピューター、データベース、サーチエンジン。",
    "ガギグゲゴ、パピプペポ、ヴァイオリン。",
    "ひらがなとカタカナと漢字を混ぜて書きます。",
    # Korean
    "안녕하세요, 세계! 이것은 한국어 문장입니다.",
    "서울은 대한민국의 수도입니다.",
    "정보 검색은 많은 문서에서 필요한 정보를 찾는 기술입니다.",
    "한글은 세종대왕이 만들었습니다.",
    # Other
    "Ṁọ̄ṛẹ̄ ḍịạ̄c̣ṛịṭịc̣ṣ ọṇ Ḷạṭịṇ ḷẹṭṭẹṛṣ.",
    "ꯃꯤꯇꯩ ꯂꯣꯟ",
    "ᐃᓄᒃᑎᑐᑦ",
    "ኢትዮጵያ አማርኛ ቋንቋ",
    "Ελληνικά, русский, 中文, 日本語, 한국어, ไทย, العربية, हिन्दी.",
    # Emoji and symbols
    "I love pizza 🍕 and coffee ☕! 😀😃😄😁",
    "Family: 👨‍👩‍👧‍👦, flags: 🇫🇷 🇯🇵 🇺🇸, skin tones: 👍🏽 👋🏿",
    "Weather: ☀️ 🌧️ ❄️ ⛈️ — temperature 25°C / 77°F.",
    "Math: ∑ x² ≤ ∞, α + β = γ, √2 ≈ 1.414, π ≈ 3.14159.",
    "Currency: $100, €50, £30, ¥1000, ₹500, ₩10000.",
    "Arrows → ← ↑ ↓ and bullets • ◦ ▪ ★ ☆ ✓ ✗.",
    "Quotes: “double”, ‘single’, «guillemets», „German“.",
    "Dashes: en – dash, em — dash, hyphen - minus − sign.",
]

# Words re-used by the random sentence generator.
_EXTRA_WORDS = (
    "search retrieval embedding vector sparse dense token model query passage document "
    "index score ranking hybrid fusion lexical semantic colbert weight normalize encoder "
    "transformer attention layer hidden batch sequence length padding truncation unicode "
    "recherche Suche búsqueda ricerca pesquisa поиск البحث खोज 検索 검색 搜索 การค้นหา "
    "data información Daten информация معلومات जानकारी 情報 정보 信息 ข้อมูล"
).split()


def _script_words(rng: random.Random) -> Iterator[str]:
    """Random pseudo-words drawn from many Unicode blocks (fixed seed)."""
    blocks = [
        (0x3041, 0x3096),  # Hiragana
        (0x30A1, 0x30FA),  # Katakana
        (0x0E01, 0x0E2E),  # Thai consonants
        (0x0905, 0x0939),  # Devanagari letters
        (0x0627, 0x064A),  # Arabic letters
        (0x0410, 0x044F),  # Cyrillic
        (0x03B1, 0x03C9),  # Greek
        (0x05D0, 0x05EA),  # Hebrew
        (0x0985, 0x09B9),  # Bengali
        (0x0B85, 0x0BB9),  # Tamil
        (0x10D0, 0x10F0),  # Georgian
        (0x0531, 0x0556),  # Armenian
    ]
    while True:
        lo, hi = rng.choice(blocks)
        n = rng.randint(2, 7)
        yield "".join(chr(rng.randint(lo, hi)) for _ in range(n))


def _hangul_word(rng: random.Random) -> str:
    # Compose syllables from common initial/medial/final jamo indices.
    out = []
    for _ in range(rng.randint(1, 4)):
        lead = rng.choice([0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18])
        vowel = rng.choice([0, 4, 8, 13, 18, 20, 1, 6, 12, 17])
        tail = rng.choice([0, 0, 0, 4, 8, 16, 17, 21, 1])
        out.append(chr(0xAC00 + (lead * 21 + vowel) * 28 + tail))
    return "".join(out)


def _cjk_word(rng: random.Random) -> str:
    # The first 1200 CJK unified ideographs plus those used in SENTENCES.
    return "".join(chr(0x4E00 + rng.randint(0, 1199)) for _ in range(rng.randint(1, 4)))


def corpus_lines(n_random: int = 30000, seed: int = 20240301) -> List[str]:
    """Return the training lines: every sentence many times plus random mixes."""
    rng = random.Random(seed)
    lines: List[str] = []
    for _ in range(40):
        lines.extend(SENTENCES)
    words: List[str] = []
    for s in SENTENCES:
        words.extend(s.split())
    words.extend(_EXTRA_WORDS)
    script_words = _script_words(rng)
    for _ in range(n_random):
        k = rng.randint(3, 14)
        parts = []
        for _ in range(k):
            r = rng.random()
            if r < 0.55:
                parts.append(rng.choice(words))
            elif r < 0.70:
                parts.append(next(script_words))
            elif r < 0.80:
                parts.append(_hangul_word(rng))
            elif r < 0.90:
                parts.append(_cjk_word(rng))
            elif r < 0.95:
                parts.append(str(rng.randint(0, 10 ** rng.randint(1, 6))))
            else:
                parts.append(rng.choice(",.;:!?()[]{}\"'-/&%#@*+=<>|~_"))
        lines.append(" ".join(parts))
    return lines
