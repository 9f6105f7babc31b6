"""Synthetic, product-shaped catalogue and query mix for the search benchmark.

Deterministic for a seed, generated lazily (a million products never sit in memory). Words
follow a Zipf-like distribution, like real product text: a few words are everywhere
("black", "set"), most are rare.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from keel_search.domain.products import ProductDocument

BRANDS = [
    "Acme", "Nordwind", "Kestrel", "Lumen", "Orbit", "Verdant", "Halcyon", "Brio", "Cobalt",
    "Fjord", "Juniper", "Maple", "Quartz", "Solace", "Tundra", "Umbra", "Vireo", "Zephyr",
]  # fmt: skip
ADJECTIVES = [
    "wireless", "portable", "compact", "ergonomic", "vintage", "waterproof", "foldable",
    "rechargeable", "adjustable", "lightweight", "heavy-duty", "organic", "stainless",
    "ceramic", "wooden", "leather", "cotton", "bamboo", "smart", "classic", "modern",
    "premium", "magnetic", "insulated", "handmade", "minimalist", "professional", "digital",
]  # fmt: skip
NOUNS = [
    "headphones", "speaker", "lamp", "chair", "desk", "backpack", "kettle", "blender",
    "keyboard", "mouse", "monitor", "jacket", "sneakers", "watch", "wallet", "bottle",
    "tent", "sleeping bag", "knife", "pan", "teapot", "mug", "candle", "pillow", "blanket",
    "charger", "camera", "tripod", "drone", "bicycle", "helmet", "umbrella", "sunglasses",
    "notebook", "pen", "planter", "vase", "rug", "mirror", "shelf", "toaster", "grinder",
]  # fmt: skip
COLOURS = ["black", "white", "grey", "red", "blue", "green", "olive", "navy", "sand", "rose"]
CATEGORIES = [
    "audio", "lighting", "furniture", "kitchen", "computing", "outdoor", "apparel", "footwear",
    "accessories", "home decor", "stationery", "photography", "sports", "garden", "travel",
    "bedding", "tools", "toys", "beauty", "pets", "office", "cycling", "camping", "tea & coffee",
]  # fmt: skip
FILLER = [
    "with", "for", "and", "the", "a", "of", "in", "to", "designed", "made", "from", "everyday",
    "use", "durable", "quality", "comfort", "easy", "clean", "includes", "set", "pack", "pair",
    "extra", "long", "battery", "life", "fast", "charging", "soft", "touch", "grip", "perfect",
    "gift", "home", "office", "travel", "outdoor", "indoor", "warranty", "certified",
    "recycled", "materials", "sustainable", "eco", "friendly", "style", "finish", "colour",
    "size", "fits", "most", "tested", "by", "experts", "noise", "cancelling", "bluetooth",
    "usb-c", "splash", "resistant", "dishwasher", "safe", "machine", "washable",
]  # fmt: skip
VOCABULARY = FILLER + ADJECTIVES + NOUNS + COLOURS + [f"model{n}" for n in range(3000)]
START = datetime(2023, 1, 1, tzinfo=UTC)


def _zipf_cumulative(count: int) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) for rank in range(count)))


def products(count: int, seed: int = 7) -> Iterator[ProductDocument]:
    """``count`` products; the same seed yields the same catalogue."""
    rng = random.Random(seed)
    cumulative = _zipf_cumulative(len(VOCABULARY))
    for n in range(count):
        noun = rng.choice(NOUNS)
        title = f"{rng.choice(BRANDS)} {rng.choice(ADJECTIVES)} {rng.choice(COLOURS)} {noun}"
        words = rng.choices(VOCABULARY, cum_weights=cumulative, k=rng.randint(12, 40))
        created = START + timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
        yield ProductDocument(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            title=title,
            description=" ".join(words).capitalize() + ".",
            category=rng.choice(CATEGORIES),
            price_cents=int(rng.lognormvariate(8, 1.2)) + 100,
            currency="EUR",
            owner_id=uuid.UUID(int=n + 1),
            created_at=created,
            updated_at=created,
            version=1,
        )


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    params: dict[str, object]


def _typo(word: str, rng: random.Random) -> str:
    """One substitution (a typo a 5+ letter word is forgiven)."""
    at = rng.randrange(1, len(word))
    return word[:at] + rng.choice("aeiourst".replace(word[at], "")) + word[at + 1 :]


def queries(count: int, seed: int = 11) -> list[BenchQuery]:
    """A mix of what shoppers type, cycling through kinds so each gets ``count / kinds``."""
    rng = random.Random(seed)
    long_words = [w for w in ADJECTIVES + NOUNS if len(w) >= 6 and " " not in w]
    makers = {
        "one word": lambda: {"text": rng.choice(NOUNS).split()[0] + " "},
        "two words": lambda: {"text": f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} "},
        "typing (prefix)": lambda: {"text": f"{rng.choice(COLOURS)} {rng.choice(long_words)[:4]}"},
        "typo": lambda: {"text": _typo(rng.choice(long_words), rng) + " "},
        "word + category": lambda: {
            "text": rng.choice(COLOURS) + " ",
            "category": rng.choice(CATEGORIES),
        },
        "word + price, by price": lambda: {
            "text": rng.choice(ADJECTIVES) + " ",
            "min_price_cents": 1000,
            "max_price_cents": 20000,
            "sort": "price_asc",
        },
    }
    kinds = list(makers)
    return [
        BenchQuery(kinds[i % len(kinds)], makers[kinds[i % len(kinds)]]()) for i in range(count)
    ]
