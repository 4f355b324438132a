"""Our fast canonical JSON equals RFC 8785 (the rfc8785 package) on everything we hash."""
import random

import pytest
import rfc8785

from registry.canonical import canonical_json

AWKWARD = ["", "a", "中文", "欧阳**", "\u2028\u2029", "\x00\x01\x1f", "\x7f", "\"\\/", "\b\f\n\r\t", "😀",
           "\ue000\uffff", "é" * 3, "<script>", "张三·李四", "1e5", "null"]


def random_value(rng, depth=0):
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice(AWKWARD) + "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(4)))
    if kind == 1:
        return rng.randrange(-(2**53) + 1, 2**53)
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.randrange(-5, 5)
    if kind in (4, 5):
        return {f"k{rng.randrange(100)}_{rng.choice(['a', 'B', '_', 'z'])}": random_value(rng, depth + 1)
                for _ in range(rng.randrange(5))}
    return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]


@pytest.mark.parametrize("seed", range(200))
def test_equals_rfc8785_on_random_values(seed):
    value = random_value(random.Random(seed))
    assert canonical_json(value) == rfc8785.dumps(value)


def test_equals_rfc8785_on_real_states(app, factory):
    from registry import canonical

    company, _admin = factory.company()
    state = canonical.state_of(factory.ring, company)
    assert canonical_json(state) == rfc8785.dumps(state)


def test_anything_else_goes_to_rfc8785():
    for value in ({"é": 1}, {"a": 1.5}, {"b": [1.0, 1e21]}):
        assert canonical_json(value) == rfc8785.dumps(value)
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json([2**60])
