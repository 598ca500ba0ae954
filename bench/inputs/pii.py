"""Sentences with planted PII (e-mails, phones, Luhn-valid cards, SSNs, IPv4/IPv6, street
addresses, person names) and decoys with look-alike numbers, generated from a seed: the
inputs of the PII recall and precision test and benchmark."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from typing import Any

FIRST_NAMES = [
    "James",
    "Maria",
    "Priya",
    "Carlos",
    "Emily",
    "Ahmed",
    "Sofia",
    "Kwame",
    "Hiroshi",
    "Olga",
    "Liam",
    "Fatima",
    "Daniel",
    "Chloe",
    "Rahul",
    "Ingrid",
    "Patrick",
    "Mei",
    "Bartosz",
    "Oluwaseun",
    "Siddharth",
    "Anneliese",
    "Thiago",
    "Eamon",
    "Ingeborg",
    "Aurelio",
    "Nkechi",
    "Radek",
]
LAST_NAMES = [
    "Smith",
    "Gonzalez",
    "Raman",
    "Okafor",
    "Nguyen",
    "Kowalczyk",
    "Fischer",
    "Tanaka",
    "Brown",
    "Patel",
    "Wójcik",
    "Abernathy",
    "Okonjo",
    "Lindqvist",
    "Castellanos",
    "Haddad",
    "Nakashima",
    "Fitzgerald",
    "Ivanova",
    "Moreau",
]
STREETS = [
    "Oak",
    "Maple",
    "Elm",
    "Martin Luther King",
    "Old Mill",
    "Sunset",
    "5th",
    "Lakeview",
    "Cedar Ridge",
    "Washington",
]
SUFFIXES = [
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Boulevard",
    "Blvd",
    "Lane",
    "Drive",
    "Way",
    "Court",
    "Place",
]
CITIES = [
    ("Springfield", "IL"),
    ("Austin", "TX"),
    ("Portland", "OR"),
    ("Boston", "MA"),
    ("Denver", "CO"),
    ("Fairview", "TN"),
]
AREA_CODES = [
    "206",
    "212",
    "305",
    "312",
    "415",
    "512",
    "617",
    "702",
    "213",
    "404",
    "646",
    "718",
    "303",
    "503",
    "602",
    "713",
]
INTERNATIONAL_PHONES = [
    "+44 20 7946 0958",
    "+49 30 901820",
    "+33 1 42 68 53 00",
    "+61 2 9374 4000",
    "+34 912 345 678",
    "+1 416 555 0199",
]

NAME_TEMPLATES = [
    "Please contact {} for details about the renewal.",
    "The account holder is {}.",
    "I spoke with {} from the billing department.",
    "Signed by {} on behalf of the company.",
    "Our new regional manager, {}, starts next month.",
    "Dear {}, your parcel has been dispatched.",
    "The refund was approved by {} this morning.",
    "Customer {} called about the late delivery.",
    "{} will present the results at the review.",
    "Forward the contract to {} before the deadline.",
]
TEMPLATES = {
    "EMAIL": [
        "You can reach me at {} any time.",
        "Send the signed copy to {} please.",
        "Contact: {}",
        "Her address {} bounced.",
    ],
    "PHONE": [
        "Call me back on {} after lunch.",
        "The office number is {}.",
        "Reach the courier at {} if nobody answers.",
        "Phone: {}",
    ],
    "CREDIT_DEBIT_NUMBER": [
        "Please charge my card {} for the order.",
        "The card number is {}.",
        "I paid with {} last week.",
        "Card: {}",
    ],
    "SSN": [
        "My social security number is {}.",
        "SSN: {}",
        "The applicant's SSN {} was verified.",
        "Enter {} in the tax form.",
    ],
    "IP_ADDRESS": [
        "The login came from {} last night.",
        "Block traffic from {} immediately.",
        "The server {} stopped responding.",
        "Source address: {}",
    ],
    "ADDRESS": [
        "Please ship the order to {}.",
        "Our new office is at {}.",
        "I moved to {} last year.",
        "Billing address: {}",
    ],
}
DECOYS = [
    "The order number is {} and it shipped today.",
    "Invoice INV-{}-0042 is attached.",
    "Version {} of the app fixes the crash.",
    "The total is ${} for {} boxes.",
    "Reference {} was closed.",
]


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        candidate = digits + check
        total = 0
        for position, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def _planted(kind: str, rng: random.Random) -> str:
    if kind == "EMAIL":
        user = rng.choice(
            [
                f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}",
                f"{rng.choice(FIRST_NAMES)}{rng.randint(1, 99)}",
                "billing+invoices",
                "j_doe",
            ]
        )
        user = user.lower().replace("ó", "o")
        return f"{user}@{rng.choice(['example.com', 'mail.example.org', 'corp.example.co.uk', 'example.io'])}"
    if kind == "PHONE":
        if rng.random() < 0.25:
            return rng.choice(INTERNATIONAL_PHONES)
        area, exchange, line = rng.choice(AREA_CODES), rng.randint(200, 989), rng.randint(0, 9999)
        return rng.choice(
            ["({}) {}-{:04d}", "{}-{}-{:04d}", "{}.{}.{:04d}", "+1 {} {} {:04d}", "1-{}-{}-{:04d}"]
        ).format(area, exchange, line)
    if kind == "CREDIT_DEBIT_NUMBER":
        prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16), ("2221", 16)])
        number = _luhn_complete(prefix, length, rng)
        separator = rng.choice([" ", "-", ""])
        groups = (
            [number[0:4], number[4:10], number[10:]] if length == 15 else [number[i : i + 4] for i in range(0, 16, 4)]
        )
        return separator.join(groups)
    if kind == "SSN":
        area = rng.choice([n for n in range(1, 900) if n != 666])
        return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    if kind == "IP_ADDRESS":
        if rng.random() < 0.5:
            return str(ipaddress.IPv4Address(rng.randint(0x01000000, 0xDFFFFFFF)))
        address = ipaddress.IPv6Address(
            rng.getrandbits(128) & ~(0xFFFF << 64) if rng.random() < 0.5 else rng.getrandbits(128)
        )
        return address.compressed if rng.random() < 0.7 else address.exploded
    if kind == "ADDRESS":
        street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}"
        if rng.random() < 0.3:
            street += rng.choice([", Apt 4B", ", Suite 200", " #12", ", Unit 7"])
        if rng.random() < 0.7:
            city, state = rng.choice(CITIES)
            street += f", {city}, {state} {rng.randint(10000, 99999)}" if rng.random() < 0.7 else f", {city}"
        return street
    if kind == "NAME":
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    raise AssertionError(kind)


def generated_pii_corpus(per_type: int = 60, seed: int = 2026) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Sentences with planted PII: (text, [(type, begin, end)]), plus decoys with none."""
    rng = random.Random(seed)
    corpus: list[tuple[str, list[tuple[str, int, int]]]] = []
    kinds = [*TEMPLATES, "NAME"]
    for kind in kinds:
        templates = NAME_TEMPLATES if kind == "NAME" else TEMPLATES[kind]
        for index in range(per_type):
            value = _planted(kind, rng)
            template = templates[index % len(templates)]
            begin = template.index("{}")
            corpus.append((template.format(value), [(kind, begin, begin + len(value))]))
    for index in range(per_type):
        number = rng.randint(10**11, 10**13)
        decoy = DECOYS[index % len(DECOYS)].format(
            *[number if index % 5 == 0 else rng.randint(1, 2030), rng.randint(1, 50)][
                : DECOYS[index % len(DECOYS)].count("{}")
            ]
        )
        if index % 5 == 2:
            decoy = DECOYS[2].format(f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}")
        corpus.append((decoy, []))
    return corpus


def measure_pii(
    corpus: list[tuple[str, list[tuple[str, int, int]]]], pii: Callable[[str], list[dict[str, Any]]]
) -> tuple[dict[str, float], float]:
    """Recall per type (and ``ALL``) of exact (type, offsets) matches, and overall precision,
    of ``pii`` (text -> DetectPiiEntities' ``Entities``)."""
    planted_by_type: dict[str, int] = {}
    hits_by_type: dict[str, int] = {}
    detected = true_positives = 0
    for text, planted in corpus:
        answer = {(item["Type"], item["BeginOffset"], item["EndOffset"]) for item in pii(text)}
        detected += len(answer)
        for item in planted:
            planted_by_type[item[0]] = planted_by_type.get(item[0], 0) + 1
            if item in answer:
                hits_by_type[item[0]] = hits_by_type.get(item[0], 0) + 1
                true_positives += 1
    recall = {kind: hits_by_type.get(kind, 0) / count for kind, count in planted_by_type.items()}
    recall["ALL"] = true_positives / sum(planted_by_type.values())
    return recall, true_positives / detected if detected else 1.0
