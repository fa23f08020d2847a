"""The outcome vocabulary: the real results/vocabulary.yaml, its matching
rules, and the one-line error (exit 2) for a malformed file."""
import pytest

from sockreuse.errors import EXIT_USAGE, RunnerError
from sockreuse.expect import vocabulary


@pytest.fixture(scope="module")
def vocab():
    return vocabulary.load()


@pytest.mark.parametrize("token", ["ok", "bind:EADDRINUSE", "listen:EADDRINUSE",
                                   "sock2.bind:EADDRINUSE", "setsockopt:EOPNOTSUPP",
                                   "binds:ok|EADDRINUSE,ok,ok,ok,ok,ok", "last_bound"])
def test_the_repository_vocabulary_knows_the_suites_tokens(vocab, token):
    assert vocab.knows(token)


@pytest.mark.parametrize("token", ["", "OK", "okay", "bind:eaddrinuse", "accept:EAGAIN",
                                   "bind:EADDRINUSE ", "binds:ok|ok,ok"])
def test_the_repository_vocabulary_refuses_other_tokens(vocab, token):
    assert not vocab.knows(token)
    assert vocab.entry(token) is None


def test_a_token_belongs_to_its_form(vocab):
    assert vocab.entry("connect:ECONNREFUSED").name == "<call>:<ERRNO>"
    assert vocab.entry("sock3.listen:EADDRINUSE").name == "sock<N>.<call>:<ERRNO>"
    assert vocab.entry("ok").meaning.startswith("every call of the case's final step")
    assert vocab.path == vocabulary.PATH


def test_a_word_matches_itself_only(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text('- word: "a.b+"\n  meaning: dots are literal\n'
                    '- form: "n<N>"\n  pattern: "n[0-9]+"\n  meaning: a number\n')
    v = vocabulary.load(str(path))
    assert [e.name for e in v.entries] == ["a.b+", "n<N>"]
    assert v.knows("a.b+") and not v.knows("axbb")
    assert v.knows("n42") and not v.knows("n42x") and not v.knows("xn42")


@pytest.mark.parametrize("token,conflict", [
    ("bind:EADDRINUSE", True), ("listen:EADDRINUSE", True), ("sock2.bind:EADDRINUSE", True),
    ("ok", False), ("bind:EACCES", False), ("", False), (None, False)])
def test_is_conflict(token, conflict):
    assert vocabulary.is_conflict(token) is conflict


MALFORMED = {
    "word_and_form": '- word: ok\n  form: "x"\n  pattern: "x"\n  meaning: m\n',
    "neither_word_nor_form": "- meaning: m\n",
    "form_without_pattern": '- form: "<x>"\n  meaning: m\n',
    "word_with_pattern": '- word: ok\n  pattern: "o+"\n  meaning: m\n',
    "no_meaning": "- word: ok\n",
    "not_a_mapping": "- ok\n",
    "yaml_syntax": "- word: ok\n  meaning: [unclosed\n",
    "top_level_mapping": "ok: every call succeeded\n",
    "top_level_scalar": "42\n",
    "bad_pattern": '- form: "<x>"\n  pattern: "(unclosed"\n  meaning: m\n',
    "pattern_not_text": '- form: "<x>"\n  pattern: [a]\n  meaning: m\n',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_vocabulary_is_a_one_line_usage_error(tmp_path, name):
    path = tmp_path / "vocabulary.yaml"
    path.write_text(MALFORMED[name])
    with pytest.raises(RunnerError) as e:
        vocabulary.load(str(path))
    assert e.value.code == EXIT_USAGE == 2
    message = str(e.value)
    assert message.startswith(str(path))
    assert "\n" not in message, message


def test_a_missing_vocabulary_is_a_one_line_usage_error(tmp_path):
    with pytest.raises(RunnerError) as e:
        vocabulary.load(str(tmp_path / "absent.yaml"))
    assert e.value.code == EXIT_USAGE
    assert "cannot read the outcome vocabulary" in str(e.value)
    assert "\n" not in str(e.value)
