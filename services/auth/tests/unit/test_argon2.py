from keel_auth.adapters.passwords import Argon2PasswordHasher

CHEAP = {"time_cost": 1, "memory_kib": 7168, "parallelism": 1}


def test_argon2id_hashes_verify_and_never_contain_the_password() -> None:
    hasher = Argon2PasswordHasher(**CHEAP)
    digest = hasher.hash("correct horse battery staple")

    assert digest.startswith("$argon2id$")
    assert "correct horse" not in digest
    assert hasher.verify(digest, "correct horse battery staple")
    assert not hasher.verify(digest, "Correct horse battery staple")
    assert not hasher.verify("not a hash", "correct horse battery staple")


def test_an_unknown_account_never_verifies() -> None:
    hasher = Argon2PasswordHasher(**CHEAP)
    assert not hasher.verify(None, "keel-auth timing equaliser")


def test_a_hash_made_with_other_parameters_needs_rehashing() -> None:
    old = Argon2PasswordHasher(**CHEAP).hash("correct horse battery staple")
    stronger = Argon2PasswordHasher(time_cost=2, memory_kib=7168, parallelism=1)

    assert stronger.needs_rehash(old)
    assert not stronger.needs_rehash(stronger.hash("correct horse battery staple"))
