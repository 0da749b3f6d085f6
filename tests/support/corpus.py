"""A corpus of what fans really type into forms: names, e-mail addresses, phone numbers (with country codes, in the
groupings people and phones write them) and street addresses, from many countries, generated from a fixed seed so
every run sends the same values. The card-data screen must let every one of them through.

Phone numbers are random digits in each country's real numbering lengths, so about one in ten passes the Luhn check
by chance (the false alarm this corpus was built against: `anna.4915112345678@example.com`, a German mobile number
with its country code, was refused as a card number)."""

# Names and places are spelled as their people spell them (a dotless i, not its ASCII look-alike).
# ruff: noqa: RUF001

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

SEED = 21

FIRST_NAMES = (
    "Anna", "Lena", "Lukas", "Jonas", "Sophie", "Marie", "Ben", "Paul", "Emma", "Noah", "Olivia", "Liam", "Ava",
    "James", "Oliver", "Amelia", "Isla", "Jack", "Chloé", "Léa", "Hugo", "Louis", "Inès", "José", "María", "Lucía",
    "Mateo", "Sofía", "Giulia", "Francesco", "Alessandro", "Chiara", "João", "Beatriz", "Søren", "Åsa", "Björn",
    "Ingrid", "Sanna", "Matti", "Zoë", "Anja", "Jiří", "Zuzana", "Ágnes", "Bálint", "Łukasz", "Małgorzata",
    "Γιώργος", "Μαρία", "Иван", "Ольга", "Дмитрий", "Олена", "Mehmet", "Ayşe", "Mohammed", "Fatima", "محمد", "فاطمة",
    "Yosef", "Noa", "יוסף", "Priya", "Arjun", "प्रिया", "Aarav", "Wei", "Li", "伟", "芳", "Hiroshi", "Yuki", "太郎",
    "花子", "Min-jun", "Seo-yeon", "민준", "Thảo", "Minh", "Siti", "Budi", "Juan", "Camila", "Valentina", "Santiago",
    "Chidi", "Ngozi", "Amara", "Kwame", "Thandiwe", "Sipho", "Aroha", "Mia", "Ólafur", "Siobhán", "Seán", "Aoife",
)
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Smith", "Jones", "Williams",
    "Brown", "Taylor", "O'Connor", "McDonald", "Martin", "Bernard", "Dubois", "Lefèvre", "García", "López",
    "Fernández", "Rossi", "Russo", "Esposito", "Silva", "Santos", "Ferreira", "Andersen", "Nielsen", "Johansson",
    "Lindqvist", "Virtanen", "Novák", "Dvořák", "Nagy", "Kovács", "Kowalski", "Wiśniewska", "Παπαδόπουλος",
    "Иванов", "Петрова", "Шевченко", "Yılmaz", "Öztürk", "Al-Sayed", "الحسن", "Cohen", "Levi", "כהן", "Sharma",
    "Patel", "शर्मा", "Wang", "Zhang", "王", "李", "Tanaka", "Suzuki", "山田", "佐藤", "Kim", "Park", "김", "Nguyễn",
    "Trần", "Santoso", "Rodríguez", "González", "Okafor", "Mensah", "Dlamini", "Ngata", "van der Berg", "de Vries",
    "von Bülow", "Grímsson", "Ní Bhriain", "da Costa", "bin Abdullah",
)
TITLES = ("", "", "", "", "Dr. ", "Prof. ", "Mr ", "Ms ", "Frau ", "Herr ", "Mme ", "Sr. ")
SUFFIXES = ("", "", "", "", "", " Jr.", " III", " PhD", " (she/her)")
DOMAINS = (
    "example.com", "example.org", "mail.example.de", "gmx.example", "web.example.de", "example.co.uk",
    "example.fr", "example.it", "example.es", "example.com.br", "example.co.jp", "example.cn", "example.co.kr",
    "example.in", "example.com.au", "uni-example.edu", "example.ac.uk", "example.ru", "example.tr", "example.ng",
)


@dataclass(frozen=True)
class Plan:
    """A country's numbering: code, trunk prefix for national use, subscriber lengths and first digits."""

    country: str
    code: str
    trunk: str
    lengths: tuple[int, ...]
    starts: tuple[str, ...]


PLANS = (
    Plan("DE", "49", "0", (10, 11), ("151", "152", "157", "160", "170", "176", "30", "40", "89", "221", "69")),
    Plan("AT", "43", "0", (10, 11, 12, 13), ("664", "676", "699", "1", "316", "512")),
    Plan("CH", "41", "0", (9,), ("76", "78", "79", "44", "22", "31")),
    Plan("FR", "33", "0", (9,), ("6", "7", "1", "4", "5")),
    Plan("GB", "44", "0", (10,), ("7", "20", "121", "131", "161")),
    Plan("IE", "353", "0", (9,), ("83", "85", "86", "87", "1")),
    Plan("ES", "34", "", (9,), ("6", "7", "91", "93")),
    Plan("PT", "351", "", (9,), ("91", "93", "96", "21")),
    Plan("IT", "39", "", (9, 10, 11), ("3", "06", "02", "055")),
    Plan("NL", "31", "0", (9,), ("6", "20", "10")),
    Plan("BE", "32", "0", (8, 9), ("4", "2", "3")),
    Plan("LU", "352", "", (6, 8, 9, 11), ("6", "2", "4")),
    Plan("PL", "48", "", (9,), ("5", "6", "7", "8", "22")),
    Plan("CZ", "420", "", (9,), ("6", "7", "2")),
    Plan("HU", "36", "06", (8, 9), ("20", "30", "70", "1")),
    Plan("GR", "30", "", (10,), ("69", "21")),
    Plan("SE", "46", "0", (7, 8, 9), ("70", "72", "73", "8")),
    Plan("NO", "47", "", (8,), ("4", "9", "2")),
    Plan("DK", "45", "", (8,), ("2", "3", "4", "5")),
    Plan("FI", "358", "0", (6, 7, 8, 9, 10), ("40", "50", "9")),
    Plan("LT", "370", "8", (8,), ("6", "5")),
    Plan("LV", "371", "", (8,), ("2", "6")),
    Plan("EE", "372", "", (7, 8), ("5", "6")),
    Plan("HR", "385", "0", (8, 9), ("9", "1")),
    Plan("RS", "381", "0", (8, 9), ("6", "11")),
    Plan("SI", "386", "0", (8,), ("3", "4", "1")),
    Plan("MC", "377", "", (8, 9), ("6", "9")),
    Plan("SM", "378", "", (6, 8, 10), ("0549", "6")),
    Plan("RU", "7", "8", (10,), ("9", "495", "812")),
    Plan("UA", "380", "0", (9,), ("50", "67", "44")),
    Plan("TR", "90", "0", (10,), ("5", "212", "312")),
    Plan("US", "1", "1", (10,), ("212", "415", "646", "312", "202", "305")),
    Plan("CA", "1", "1", (10,), ("416", "514", "604")),
    Plan("MX", "52", "", (10,), ("55", "33", "81")),
    Plan("BR", "55", "0", (10, 11), ("11", "21", "31")),
    Plan("AR", "54", "0", (10, 11), ("911", "11", "351")),
    Plan("CL", "56", "", (9,), ("9", "2")),
    Plan("CO", "57", "", (10,), ("3", "601")),
    Plan("PE", "51", "", (9,), ("9", "1")),
    Plan("JP", "81", "0", (9, 10), ("90", "80", "70", "3", "6")),
    Plan("CN", "86", "0", (11,), ("13", "15", "18", "10")),
    Plan("KR", "82", "0", (9, 10), ("10", "2")),
    Plan("IN", "91", "0", (10,), ("9", "8", "7", "11", "22")),
    Plan("ID", "62", "0", (9, 10, 11, 12), ("8", "21")),
    Plan("PH", "63", "0", (10,), ("9", "2")),
    Plan("TH", "66", "0", (8, 9), ("8", "9", "2")),
    Plan("VN", "84", "0", (9, 10), ("9", "3", "24")),
    Plan("SG", "65", "", (8,), ("8", "9", "6")),
    Plan("MY", "60", "0", (9, 10), ("1", "3")),
    Plan("AU", "61", "0", (9,), ("4", "2", "3")),
    Plan("NZ", "64", "0", (8, 9, 10), ("2", "9", "4")),
    Plan("ZA", "27", "0", (9,), ("6", "7", "8", "11", "21")),
    Plan("NG", "234", "0", (10,), ("80", "70", "90")),
    Plan("EG", "20", "0", (10,), ("10", "11", "12")),
    Plan("KE", "254", "0", (9,), ("7", "1")),
    Plan("SA", "966", "0", (9,), ("5",)),
    Plan("AE", "971", "0", (9,), ("5", "4")),
    Plan("IL", "972", "0", (9,), ("5", "3")),
)
# How people split a national number: common groupings by length (plus random splits into 2-4 digit groups).
GROUPINGS = {
    6: ((3, 3), (2, 2, 2)), 7: ((3, 4), (3, 2, 2)), 8: ((4, 4), (2, 3, 3), (2, 2, 2, 2)),
    9: ((3, 3, 3), (1, 4, 4), (2, 3, 4), (3, 2, 2, 2), (1, 2, 2, 2, 2)),
    10: ((3, 3, 4), (3, 7), (2, 4, 4), (4, 3, 3), (5, 5), (2, 2, 2, 2, 2), (3, 3, 2, 2), (3, 4, 3)),
    11: ((3, 4, 4), (3, 8), (4, 7), (2, 4, 5), (3, 3, 5), (4, 3, 4)),
    12: ((3, 3, 6), (4, 4, 4), (3, 4, 5), (2, 5, 5)), 13: ((3, 4, 6), (4, 4, 5), (3, 10)),
}
STREETS = ("Main", "Oak", "Maple", "Church", "High", "Station", "Park", "Mill", "King", "Queen", "Elm", "Cedar",
           "Washington", "Lincoln", "Victoria", "Albert", "Bahnhof", "Haupt", "Goethe", "Schiller", "Linden",
           "Garibaldi", "Roma", "Augusta", "Paulista", "Tverskaya", "Nevsky", "Gran Vía", "Mayor", "Rivoli")
CITIES = ("Springfield", "London", "Manchester", "Berlin", "München", "Köln", "Wien", "Zürich", "Paris", "Lyon",
          "Madrid", "Barcelona", "Roma", "Milano", "Lisboa", "Amsterdam", "Bruxelles", "Warszawa", "Praha",
          "Budapest", "Athína", "Stockholm", "Oslo", "København", "Helsinki", "Москва", "Київ", "İstanbul",
          "New York", "San Francisco", "Toronto", "Ciudad de México", "São Paulo", "Buenos Aires", "Bogotá",
          "東京", "大阪", "北京", "上海", "서울", "Mumbai", "Bengaluru", "Jakarta", "Manila", "Bangkok", "Hà Nội",
          "Singapore", "Sydney", "Auckland", "Cape Town", "Lagos", "Cairo", "Nairobi", "Tel Aviv", "Dubai")


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _split(rng: random.Random, number: str) -> list[str]:
    options = GROUPINGS.get(len(number), ())
    if options and rng.random() < 0.7:
        sizes = rng.choice(options)
    else:
        sizes, left = [], len(number)
        while left > 0:
            size = min(left, rng.choice((2, 3, 3, 4, 4)))
            sizes.append(size)
            left -= size
    parts, start = [], 0
    for size in sizes:
        parts.append(number[start:start + size])
        start += size
    return parts


def national_number(rng: random.Random, plan: Plan) -> str:
    start = rng.choice(plan.starts)
    return start + _digits(rng, max(rng.choice(plan.lengths) - len(start), 2))


def phone_number(rng: random.Random) -> str:
    """One phone number as someone would write it: international or national, in one of the common groupings."""
    plan = rng.choice(PLANS)
    national = national_number(rng, plan)
    groups = _split(rng, national)
    separator = rng.choice((" ", " ", " ", "-", ".", "/", ""))
    body = separator.join(groups)
    style = rng.randrange(16)
    cc = plan.code
    if style == 0:
        text = f"+{cc}{national}"  # E.164, as phones store it
    elif style == 1:
        text = f"00{cc}{national}"
    elif style == 2:
        text = f"00{cc} {body}"
    elif style == 3:
        text = f"+{cc} {body}"
    elif style == 4:
        text = f"+{cc}-{'-'.join(groups)}"
    elif style == 5:
        text = f"(+{cc}) {body}"
    elif style == 6 and plan.trunk:
        text = f"+{cc} ({plan.trunk}){body}"
    elif style == 7 and plan.trunk:
        text = f"{plan.trunk}{national}"
    elif style == 8 and plan.trunk:
        text = f"({plan.trunk}{groups[0]}) {' '.join(groups[1:]) or groups[0]}"
    elif style == 9:
        # DIN 5008: an extension after a dash (Durchwahl), e.g. +49 30 12345678-123
        text = f"+{cc} {groups[0]} {''.join(groups[1:])}-{_digits(rng, rng.choice((1, 2, 3, 4)))}"
    elif style == 10:
        text = f"+{cc} {body} {rng.choice(('ext.', 'x', 'ext', 'Durchwahl', 'poste'))} {_digits(rng, 3)}"
    elif style == 11:
        text = f"tel:+{cc}-{'-'.join(groups)}"
    elif style == 12 and cc == "1":
        area, rest = national[:3], national[3:]
        text = rng.choice((f"({area}) {rest[:3]}-{rest[3:]}", f"+1 ({area}) {rest[:3]}-{rest[3:]}",
                           f"1-{area}-{rest[:3]}-{rest[3:]}", f"{area}.{rest[:3]}.{rest[3:]}"))
    elif style == 13:
        text = f"011 {cc} {body}"  # dialled from North America
    elif style == 14:
        text = f"+{cc}.{'.'.join(groups)}"
    else:
        text = f"+{cc} {national}"
    return text


def plain(text: str) -> str:
    """ASCII letters of a name, as e-mail local parts usually spell it."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-")).lower()


def person_name(rng: random.Random) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    shape = rng.randrange(6)
    if shape == 0:
        name = f"{first} {rng.choice(FIRST_NAMES)} {last}"
    elif shape == 1:
        name = f"{first}-{rng.choice(FIRST_NAMES)} {last}"
    elif shape == 2:
        name = f"{last}, {first}"
    elif shape == 3:
        name = f"{first} {last}-{rng.choice(LAST_NAMES)}"
    else:
        name = f"{first} {last}"
    return f"{rng.choice(TITLES)}{name}{rng.choice(SUFFIXES)}"


def email_address(rng: random.Random) -> str:
    first = plain(rng.choice(FIRST_NAMES)) or "fan"
    last = plain(rng.choice(LAST_NAMES)) or "ticket"
    plan = rng.choice(PLANS)
    national = national_number(rng, plan)
    year = str(rng.randrange(1940, 2012))
    shape = rng.randrange(14)
    local = (
        f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}", f"{first}.{last}{year[2:]}",
        f"{first}{year}", f"{first}.{last}+tickets", f"{first}.{plan.code}{national}",  # the phone, as in the issue
        f"{plan.code}{national}", f"{first}{plan.trunk}{national}", f"{last}.{first}.{rng.randrange(1, 99)}",
        f"{first}-{last}-{year}", f"{first}+{plan.code}{national}", f"{first[0]}.{last}.{national[-4:]}",
    )[shape]
    return f"{local}@{rng.choice(DOMAINS)}"


def street_address(rng: random.Random) -> str:
    street, city = rng.choice(STREETS), rng.choice(CITIES)
    n, flat = rng.randrange(1, 2500), rng.randrange(1, 120)
    zip5, plus4 = _digits(rng, 5), _digits(rng, 4)
    shape = rng.randrange(14)
    return (
        f"{n} {street} Street, Apt {flat}, {city}, NY {zip5}-{plus4}",
        f"Flat {flat}, {n} {street} Road, {city} SW1A {rng.randrange(1, 9)}AA",
        f"{street}straße {n}{rng.choice(('', 'a', 'b'))}, {zip5} {city}",
        f"{n} rue {street}, {zip5} {city}, France",
        f"Via {street} {n}, {zip5} {city} (MI)",
        f"Rua {street}, {n} - Apto {flat}, {city} - SP, {zip5}-{_digits(rng, 3)}",
        f"〒{_digits(rng, 3)}-{_digits(rng, 4)} {city}都港区六本木{rng.randrange(1, 9)}-{rng.randrange(1, 30)}-{n}",
        f"ул. {street}, д. {n}, кв. {flat}, {city}, {_digits(rng, 6)}",
        f"{n}/{flat}, {street} Marg, {city} - {_digits(rng, 6)}",
        f"Unit {flat}, {n} {street} St, {city} NSW {_digits(rng, 4)}",
        f"{street}straat {n}, {_digits(rng, 4)} {rng.choice(('AB', 'KL', 'XZ'))} {city}",
        f"P.O. Box {_digits(rng, rng.choice((3, 4, 5, 6)))}, {city} {zip5}",
        f"{city}市{street}区{street}路{n}号{flat}室",
        f"c/o {rng.choice(LAST_NAMES)}, {n} {street} Ave Suite {flat * 10}, {city}, CA {zip5}",
    )[shape]


@dataclass(frozen=True)
class Fan:
    name: str
    email: str
    phone: str
    address: str


def fans(count: int, seed: int = SEED) -> list[Fan]:
    """`count` fans, four values each; the same every run."""
    rng = random.Random(seed)
    return [Fan(person_name(rng), email_address(rng), phone_number(rng), street_address(rng)) for _ in range(count)]


# The false alarm reported in issue 21, kept by name.
REPORTED = Fan("Anna Schmidt", "anna.4915112345678@example.com", "+49 151 12345678", "Hauptstraße 5, 10115 Berlin")
