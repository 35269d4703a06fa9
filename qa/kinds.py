"""What a question asks for (a number, a date, a name, a command, a path, an option, ...) and where a text
holds things of that kind: the spans a short answer is taken from."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from qa import thesaurus
from qa.asking import asking_part, scene
from qa.codenames import code_names
from qa.meaning import ALONE, classes_of, frame_words, names_a_thing
from qa.quantities import (
    HOW_OFTEN,
    UNIT_NAMED,
    abbreviated,
    counted_word,
    counts,
    counts_other,
    measure_asked,
    measure_asked_across,
    measured_as,
    measured_in,
    measured_otherwise,
    no_count,
    pronoun,
)
from qa.sparse import CJK_RUN, STOPWORDS, terms

Kind = Literal[
    "number",
    "time",
    "person",
    "organisation",
    "place",
    "command",
    "path",
    "option",
    "field",
    "identifier",
    "package",
    "address",
    "version",
    "term",
]
REFUSING_KINDS: frozenset[str] = frozenset(
    {"number", "time", "version", "organisation"}
)  # none in the window: the text cannot say
ABSENCE_ONLY: frozenset[str] = frozenset({"organisation"})  # a capitalised name may be a place: no pull on the choice
NAMES: dict[str, str] = {
    "number": "number",
    "time": "date or time",
    "person": "person's name",
    "organisation": "name of a company or an institution",
    "place": "place",
    "command": "command",
    "path": "file or path",
    "option": "option",
    "field": "field or variable",
    "identifier": "function, method or other name in code",
    "package": "package or tool name",
    "address": "address",
    "version": "version",
    "term": "name",
}

NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions trillion dozen dozens half quarter twice once"
)
UNITS = (
    "bytes? [kmgt]i?b [kmgt]i?bytes? [kmg]?bits?/s [kmg]bps [kmg]?hz kilobytes? megabytes? gigabytes? terabytes? "
    "characters? chars? lines? columns? words? "
    "seconds? minutes? hours? days? weeks? months? years? ms percent per cent pages? items? times members? "
    "people dollars? euros? usd hk\\$ km miles? metres? meters? kg bits? pixels? px pt points? "
    "m cm mm ft feet inches acres? hectares? ha litres? liters? tonnes? tons? lbs? mph km/h "
    "thousand million billion trillion"
)
NUMBER = re.compile(
    rf"(?<![\d.,])(?<!\d[-–])(?<![A-Za-z_])(?<![\w+]\()(?:[$€£¥]|hk\$)?\d(?:[\d,.]*\d)?(?:[-–]\d(?:[\d,.]*\d)?(?!\d|[-–]\d))?%?"
    rf"(?:[x×](?!\w)|[smhdw](?![\w'’])|\s?(?:{'|'.join(UNITS.split())})\b)?"  # "86" of x86_64 is none; "20x"
    # slower is one; "1000s" and "5m" are a time; the "5" of "sources.list(5)" is a manual's section
    rf"|\b(?:{'|'.join(NUMBER_WORDS.split())})\b(?:\s(?:{'|'.join(UNITS.split())})\b)?|%|\bper ?cent\b",
    re.I,
)
BARE_NUMBER_WORD = re.compile(rf"(?:{'|'.join(NUMBER_WORDS.split())})", re.I)
DEFAULT_GIVEN = re.compile(r"(?:the |its |by )?default(?: value| setting)?(?: is|:| =|s to| being)\s", re.I)
PARAMETER_ASKED = re.compile(r"\b(?:parameter|setting|directive)s?\b", re.I)
CONFIG_ASKED = re.compile(r"\bconfig(?:uration)? (?:option|setting|key|variable)s?\b", re.I)
CONFIG_KEY = re.compile(r"(?<![\w./$-])[a-z][\w-]*(?:\.(?:[a-zA-Z][\w-]*|<[\w-]+>|\{[\w-]+\}|\*))+(?![\w/(.-])")
FILE_NAME = re.compile(
    r"\.(?:md|txt|html?|c|h|py|sh|json|conf|cfg|ya?ml|toml|ini|com|org|net|io|deb|rpm|gz|tar|zip|pdf|lock|log)$", re.I
)  # "README.md", "example.com": no configuration key
SEE = re.compile(r"\bsee (?:also )?$", re.I)
DOTTED = re.compile(r"\d+(?:\.\d+){2,}")  # 3.7.17, 192.168.1.1
AFTER_VERSION = re.compile(r"\b(?:version|release|v)\s?$", re.I)
VARIANT = re.compile(
    r"(?<![\w-])([A-Za-z][A-Za-z\d]*)-(\d+)\b(?!\.\d)"
)  # "SHA3-256" for "which SHA3 size"; not the "R-4" of "R-4.2.2patched-win.exe"
NUMERALS = re.compile(r"[0-9０-９零〇一二三四五六七八九十百千万萬亿億两兩]+")
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"
MONTHS = "january february march april may june july august september october november december"  # capitalised in
# TIME, as are WEEKDAYS: "may" and "march" are verbs
TIME = re.compile(
    rf"\b\d{{1,2}} (?-i:{'|'.join(m.title() for m in MONTHS.split())}),? \d{{4}}\b"  # "30 November 2022"
    rf"|\b(?-i:{'|'.join(m.title() for m in MONTHS.split())}) \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b"  # "May 5, 2021"
    rf"|\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b(?:in|by|since|until|from|before|after|around) \d{{3,4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)\b|\b(?-i:{'|'.join(m.title() for m in MONTHS.split())})\b"
    r"|\b(?:centur(?:y|ies)|decades?|BC|BCE|AD|CE)\b"
    rf"|\b(?-i:{'|'.join(d.title() for d in WEEKDAYS.split())})s?\b|\b\d{{1,2}}(?::\d{{2}})? ?(?:[ap]\.?m\b\.?)|\b\d{{1,2}}:\d{{2}}\b"
    r"|\bo'clock\b|\b(?:noon|midnight|(?:in the )?(?:morning|afternoon|evening))\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
    r"|星期[一二三四五六日天]|周[一二三四五六日]|[0-9一二三四五六七八九十]+[年月日号点]",
    re.I,
)
COPYRIGHT = re.compile(r"copyright|\(c\)|©", re.I)
POSSESSIVE = re.compile(r"['’]s$")  # "Kong’s" says Kong
CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)*")
PATH = re.compile(
    r"(?<![\w$])\$(?:\{[A-Za-z_]\w*\}|[A-Za-z_]\w*)(?:/[\w.+~@%${}()*-]*)+"  # $HOME/.config/borg/keys, ${XDG_..}/git
    r"|(?<![\w/.$}-])(?:~|\.{1,2})?/[\w.+~@%${}()*-]+(?:/[\w.+~@%${}()*-]*)*"  # /etc/papersize, ~/.dput.cf
    r"|(?<![\w/.$-])~?\.[a-z][\w-]*(?:\.[\w-]+)*\b"  # .dput.cf
    r"|\b[\w.+-]+/[\w.+${}()-]+(?:/[\w.+${}()-]*)*"  # debian/control, pool/main/libp/libpaper/
    r"|\b[\w-]+\.(?:conf|cf|cfg|ini|list|log|txt|deb|dsc|changes|tar\.[gx]z|gz|xz|bz2|json|ya?ml|sh|py|pem|key)\b",
    re.I,
)
OPTION = re.compile(r"(?<![\w-])--?[a-zA-Z][\w-]*(?:=\S+)?")
MACRO = re.compile(r"\\[A-Za-z@]{2,}\*?")  # a TeX command: \correctchoice, \AMCcodeHspace
SETTING = re.compile(
    r"(?<![\w\\-])[a-z][a-z0-9]*(?:[A-Z_-][A-Za-z0-9]*)*(?==\S)"  # approx=, lang=DE, scoreexact=2
    r"|^\s*[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+:(?=\s)",  # BoxColor: (a key at a line's start)
    re.M,
)
COMMAND_NAMED = re.compile(
    r"(?<=\bthe )[a-z][\w.+-]*(?: [a-z][\w.+-]*){1,3}(?= command\b)"
)  # "by issuing the git worktree lock command": a command of several words named before the word
OPTION_NAMED = re.compile(r"(?<=\bthe )[a-z][a-z0-9_]{2,}(?= (?:shell )?option\b)")  # "the lastpipe option"
NOT_NAMES = frozenset(
    "same other following default first last second third new old above below only given previous next main "
    "former latter corresponding relevant appropriate global local".split()
)  # "the same option", "the following option": no option's name
ASSIGNMENT = re.compile(  # a line of a configuration file: "    smtpd_sasl_type = dovecot", "myorigin = $mydomain"
    r"(?m)(?<![^\n])[ \t]*([a-z][a-z0-9]*(?:(?:[_.-][a-z0-9]+)+[ \t]*=[ \t]*\S|[ \t]*=[ \t]*\$\w)[^\n]*)"
)
KEYWORD = re.compile(  # a keyword argument of a call: choices=[0, 1, 2], filemode='w', disable_existing_loggers=False
    r"(?:(?<=[(,])|(?<=, )|(?<=  ))[a-z_][a-z0-9_]*=(?!=)"  # in a call, or on a call's indented next line
    r"(?:\[[^\]\n]{0,40}\]|\([^)\n]{0,40}\)|\"[^\"\n]{0,40}\"|'[^'\n]{0,40}'|[\w.]+)"
)
SNAKE = re.compile(r"(?<![\w$./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w(/-])")  # a parameter: smtpd_delay_reject
FIELD = re.compile(
    r"\b[A-Z][a-z0-9]+(?:-[A-Z0-9][a-z0-9]*)+\b:?"  # Build-Depends, Standards-Version
    r"|\$\{?[A-Za-z_][\w:]*\}?"  # $HOME, ${perl:Depends}
    # DEB_BUILD_OPTIONS, PAPERSIZE, WHY3IDE, _R_CHECK_DEPENDS_ONLY_=true: a variable, with the value it is set to
    r"|(?:\b_*[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[A-Z]{4,}\b|\b(?=(?:[A-Z0-9]*[A-Z]){4})[A-Z][A-Z0-9]{4,}\b)"
    r"(?:=[^\s'\"’]*[^\s,;.:'\"’)\]])?"
    r"|\boverride_dh_\w+|\b[A-Z][a-z]+:(?=\s)"  # override_dh_auto_test, Maintainer:
)
TOOL = re.compile(
    r"(?<![\w/.-])[a-z][a-z0-9]*(?:[-_+.][a-z0-9]+)+(?![\w/-])"  # apt-mark, dh_md5sums, libpaper1.x, www-browser
    r"|\b[a-z][\w.+-]*(?=\(\d\w?\))"  # dpkg-deb(1)
    r"|(?<![\w/.-])[a-z]+\d+[a-z\d]*\b"  # s390x, libpaper1, exim4
)
ADDRESS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # team@security.debian.org
    r"|\b[a-z][a-z0-9+.-]{1,15}://[^\s)\]>”\"]+[^\s)\]>”\".,;:]"  # https://, smb://, imaps://
    r"|(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![\w.]*\d)"  # 10.91.0.1, 127.0.0.1:8080
    r"|\b(?:[a-z0-9-]+\.)+(?:org|com|net|edu|gov|io|de|uk|fr|jp|cn|hk)\b",
    re.I,
)
VERSION = re.compile(r"\b\d+(?:\.\d+)+(?:[-+~][\w.+~]+)?\b|\bv\d+(?:\.\d+)*\b")
OF_THESE = re.compile(r" of (?:these|those|them)\b")
COUNT = re.compile(r"\bhow many\b", re.I)
PORT = re.compile(r"\bports?\b", re.I)  # a port is a numeral
MEASURE = re.compile(
    r"\bhow (?:long|large|big|often|much|far|tall|high|old|wide)\b|\b(?:minimum|maximum)\b(?! (?:number|count) of)",
    re.I,
)  # a quantity with its unit; "the maximum number of attached databases" is a count
PRICE = re.compile(r"\b(?:costs?|price[ds]?|pay|fees?|charged?|salar(?:y|ies)|wages?|earns?)\b", re.I)
CURRENCIES = {
    "dollar": re.compile(r"\$|\b(?:dollars?|usd|cents?)\b", re.I),
    "euro": re.compile(r"€|\b(?:euros?|eur)\b", re.I),
    "pound": re.compile(r"£|\b(?:pounds?|gbp|pence)\b", re.I),
    "yen": re.compile(r"¥|\b(?:yen|yuan|jpy|cny|rmb)\b", re.I),
}
MEASURED = re.compile(r"[^\W\d_]|[$€£¥%]")  # a quantity with its unit ("60 characters", "$4"), not a bare number
SENTENCE_END = re.compile(r"[.!?;。！？](?:\s|$)")
VALUE_BEFORE = re.compile(r"(?:\bdefault(?:s| is| value)?:?|\bdefaults to|=)\s*$", re.I)
YEAR = re.compile(r"(?:1[5-9][0-9]{2}|20[0-9]{2})s?\+?")  # a year is no answer to "how many"
CALLED = re.compile(
    r"\b(?:(?:is|are|was|were) (?:called|named|known as)|(?:also |often )?referred to as)\s+(?:the\s+)?"
    r"([A-Z][\w'’-]*(?: [A-Z][\w'’-]*)*|[\w][\w.+-]*[\w])"
)  # "these scripts are called britney", "often referred to as Unix's Swiss Army Chainsaw": the name given
USED = re.compile(
    r"\b(?i:use|using|run|running|try|invoke|call|the (?:command|program|utility|tool))\s+(?:the\s+)?"
    r"([a-z][a-z0-9]{2,29})\b(?![-_/+=]|\.\w)"
)  # "you can use msguntypot", "is the command printf": a tool named in prose, where the word is no English word
USED_FR = re.compile(
    r"\b(?i:(?:le|du|au) (?:paquet|programme|logiciel|outil|utilitaire)|la commande|utilisez|lancez|exécutez)\s+"
    r"([a-z][a-z0-9]*(?:[-.+][a-z0-9]+)*)\b(?![-_/+=']|\.\w)"
)  # "vous pouvez utiliser le paquet reportbug": a tool named in French prose
FRENCH_AFTER = frozenset(
    "qui que dont source sources binaire binaires debian contenant installé installés virtuel officiel "
    "correspondant suivant suivante original originel est sera peut doit avec dans pour sur par et ou si de du des "
    "le la les un une en ne pas contre vers sans sous entre chez selon après avant depuis pendant lequel laquelle "
    "auquel duquel simplement alors ensuite aussi donc plutôt toujours juste directement également seulement "
    "maintenant".split()
)  # the words that follow "le paquet" or "lancez" and name none: pronouns, prepositions, adverbs, what it is
QUANTIFIERS = frozenset(
    "all both each either neither such any some every no none several many much few this that these those".split()
)  # "use neither -n nor ...": no tool's name
QUOTED_TOKEN = re.compile(
    r"(?<!\w)[“\"‘’'`´]([\w.+:/-]*[a-z0-9_][\w.+:/-]*)[”\"’'`´](?!\w)"
)  # 'raspberry64', no phrase
QUOTED = re.compile(r"(?<![^\W_])[“”\"‘’'`´]{1,2}([^“”\"‘’'`´\n]{2,40}?)[“”\"‘’'`´]{1,2}(?![^\W_])")
COMMON_PARTS = frozenset(
    "a all and back based be boot built by co day down e end fine first free full half high in known last level "
    "like log long look low mail make new non of off old on one open out post pre re read real run second self "
    "set short side sign so source system term the third three time to two up user well wide world write x year "
    "wise date based side only per line time like command".split()
)
TITLE = re.compile(r"[“\"]([^“”\"\n]{2,160})[”\"]")  # a quoted title: "Hong Kong 2030+: ... Transcending 2030"
PROMPT = r"(?:\$ |# |[\w.-]+@[\w.-]+:[^\s$#]*[$#] ?)"  # "$ ", "# ", "user@host:~$ "
PROMPTED = re.compile(rf"\s*{PROMPT}")
INLINE_CODE = re.compile(rf"^\s*{PROMPT}?[a-z][\w.+-]*(?: +\S+){{0,8}}\s*$")
CODE = re.compile(r"`([^`\n]{2,80})`")  # inline code in Markdown or reStructuredText: a command as written
IDENTIFIER = re.compile(
    r"(?<![\w.$/-])(?:"
    r"(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*\((?:[\w.=' \"-]{0,20})\)"  # a call: subn(), setblocking(False)
    r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\.[A-Za-z_]*[A-Z_]\w*"  # a dotted name with a capital: re.DOTALL
    r"|(?:(?<=>>> )|(?<=\n)|^)[a-z_]\w*(?:\.[a-z_]\w*)+(?=\s*(?:$|\n))"  # an attribute read on its own: >>> addr6.exploded
    r"|[a-z]+[A-Z]\w*"  # camelCase: isEnabledFor
    r"|[A-Z]\w*[a-z]\w*[A-Z]\w*"  # CamelCase: NullHandler, IPv4Address
    r"|[A-Za-z][A-Za-z0-9]*_\w+"  # snake_case: num_addresses
    r")(?![\w(/-])"
)  # a name in code: what "which method", "which attribute" or "which exception" asks for
KIND_WORDS = frozenset(
    "command commands option options flag flags switch file files directory folder path field variable keyword "
    "package packages tool tools program utility server address url version name number kind sort type".split()
)  # the words that name a kind of answer ("which command"): what is asked for, not what it is about
PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "number": [NUMBER],
    "time": [TIME],
    "person": [CAPITALISED],
    "organisation": [CAPITALISED],
    "place": [CAPITALISED],
    "command": [CODE, TOOL, OPTION, MACRO, USED, USED_FR, COMMAND_NAMED],
    "path": [PATH],
    "option": [OPTION, SETTING, ASSIGNMENT, SNAKE, KEYWORD, OPTION_NAMED],
    "field": [FIELD, QUOTED_TOKEN, CODE, KEYWORD],
    "identifier": [IDENTIFIER, CODE, QUOTED_TOKEN],
    "package": [TOOL, QUOTED, CALLED, USED, USED_FR],
    "address": [ADDRESS],
    "version": [VERSION],
    "term": [CALLED, QUOTED, CAPITALISED, TOOL],
}

PRECISE = frozenset({"number", "time", "version", "path", "address"})  # kinds whose spans are seldom anything else
KIND_NOUNS = KIND_WORDS | frozenset(
    "argument parameter invocation subcommand dir queue header target macro server url site host e-mail email list binary "
    "daemon helper library script nickname codename term format word prefix tag suffix label architecture "
    "distribution release license licence percentage percent amount size limit length port year years date "
    "century decade month day".split()
)  # the nouns that say what kind of answer is wanted ("which port", "what version"): qa.kinds.asked reads them
FOCUS_START = re.compile(
    r"\b(?:(?:what|which|who)(?:\s+(?:is|are|was|were))?|how\s+(?:many|much))\s+(?:(?:the|a|an)\s+)?"
    r"(?:(?:kinds?|sorts?|types?)\s+of\s+(?:(?:the|a|an)\s+)?)?",
    re.I,
)
STATE_QUALIFIERS = frozenset("current default latest newest recommended preferred minimum maximum official".split())
NEWEST = r"\b(?:newest|latest|most recent|current(?:ly)?)\b"
STATE_SAID = {  # how a text says a state without its word: "Z3 version at least 4.4.0" gives the minimum
    "default": re.compile(
        r"\bdefault\w*|\bunless\b|\bif (?:not|none|unset|omitted)\b|\binitial(?:ly)?\b"
        r"|\bif\b[^.;]{0,60}?\b(?:is|are) (?:either )?(?:not set|unset|empty|omitted)\b",
        re.I,
    ),
    "minimum": re.compile(
        r"\b(?:minimum|at least|minimal|or (?:later|newer|higher|above|more|greater)|lowest|smallest|shortest|fewest"
        r"|range)\b",
        re.I,
    ),
    "maximum": re.compile(
        r"\b(?:maximum|at most|up to|maximal|limited (?:\w+ ){0,2}to|no more than|or (?:less|fewer|lower|below)"
        r"|largest|biggest|highest|longest|greatest|exceeds?|(?:increased|raised) above|range)\b",
        re.I,
    ),
    "latest": re.compile(NEWEST, re.I),
    "newest": re.compile(NEWEST, re.I),
    "current": re.compile(r"\b(?:current|now|currently|at present|latest)\b", re.I),
    "recommended": re.compile(r"\b(?:recommend\w*|advis\w*|suggest\w*|prefer\w*|should)\b", re.I),
    "preferred": re.compile(r"\b(?:prefer\w*|recommend\w*)\b", re.I),
}


LEFT_UNSET = re.compile(
    r"\bif (?:i|you|we|one) (?:don'?t|do not|never|leave|omit)\b|\bleave (?:\w+ ){0,2}out\b"
    r"|\bwithout (?:setting|passing|giving|specifying)\b|\b(?:is|are) (?:not set|unset|omitted|left out)\b"
    r"|\b(?:i|we) (?:never|didn'?t|did not|haven'?t|have not) (?:set|touched|changed|passed|specified|gave)\b",
    re.I,
)  # "if I don't set cycle-size", "if I leave them out": what holds then is the default


def unset_said(question: str, text: str) -> bool:
    """The question leaves a setting it names unset ("I never set XDG_CONFIG_HOME") and the text says what holds
    then ("If $XDG_CONFIG_HOME is either not set or empty, ... is used")."""
    if not LEFT_UNSET.search(question):
        return False
    return any(
        re.search(
            rf"\bif\b[^.;]{{0,20}}?{re.escape(name)}\b[^.;]{{0,30}}?\b(?:not set|unset|empty|omitted)\b", text, re.I
        )
        for name in code_names(question)
    )


BOUND_ASKED = {
    "maximum": re.compile(r"\b(?:highest|largest|longest|biggest|greatest|at most)\b", re.I),
    "minimum": re.compile(r"\b(?:lowest|smallest|shortest|fewest)\b", re.I),
}  # in a question for a number, the words that ask for a limit


def states_asked(question: str) -> set[str]:
    """The states (STATE_QUALIFIERS) the question asks about: "by default", "the minimum version", "if I don't
    set it" (the default), "the highest value" (the maximum)."""
    asked = {state for state in STATE_SAID if re.search(rf"\b{state}\b", question, re.I)}
    asked |= set(bounds_asked(question).values())
    return asked | ({"default"} if LEFT_UNSET.search(question) else set())


def bounds_asked(question: str) -> dict[str, str]:
    """The words by which a question for a number asks for a limit ("the highest value", "how many at most"), each
    with the state it asks for: a text that gives another number without a limit does not answer it."""
    if asked(question) != "number":
        return {}
    part = asking_part(question)
    return {m.group().lower(): state for state, pattern in BOUND_ASKED.items() for m in pattern.finditer(part)}


DEFAULT_ASKED = re.compile(
    r"\b(?:what|which)(?:'s| is| are| was)? (?:the |its |their )?default\b(?! (?:action|behaviou?r|policy|way|mode))"
    r"|\bdefault (?:value|setting) (?:of|for)\b|['’]s default\b"
    r"|\bwhat(?:'s| is| are) (?:the )?[\w.:-]+(?: [\w.:-]+){0,3} (?:set to )?by default\b",
    re.I,
)
DEFAULT_GIVEN_ANY = re.compile(
    r"\bdefault(?:s| value| setting)?\b[^.;!?]{0,60}?(?:\b(?:is|are|was|were|to|of)\b|[:=(])"
    r"|\(default\b|\bby default\b|\bunless\b|\bif (?:not|none|unset|omitted)\b|\bdefault (?:values|settings)\b",
    re.I,
)


def default_asked(question: str) -> bool:
    """The question asks for a default value ("what is the default timeout?", "the port's default"), not only
    about what happens by default."""
    return DEFAULT_ASKED.search(asking_part(question)) is not None


def gives_default(text: str) -> bool:
    """The text gives a default ("the default is 33", "(default: 1000s)", "by default, ..."), not only names a
    default thing ("for the default relay policy, see the manual")."""
    return DEFAULT_GIVEN_ANY.search(text) is not None


def states_said(text: str) -> set[str]:
    """The states (STATE_QUALIFIERS) that `text` says, in their words or in others."""
    return {state for state, pattern in STATE_SAID.items() if pattern.search(text)}


FOCUS_WORD = re.compile(r"[^\W_][\w'’+/-]*(?:\.\d+)*")


def focus(question: str) -> tuple[str, ...]:
    """The names and states that pick the asked-for thing out of its class, right after the question word:
    "TCP" in "which TCP port", "current" in "who is the current project leader", "LTS" in "how many years of LTS
    support". The class itself ("port", "city") need not be said by a passage that answers."""
    match = FOCUS_START.search(question)
    if match is None:
        return ()
    words: list[str] = []
    head = -1
    for word in FOCUS_WORD.findall(question[match.end() :].split("?")[0]):
        lower = word.lower()
        if lower == "of" and words and head < 0:
            head = len(words) - 1  # "the amount of RAM", "years of LTS support": the class, then what it is of
            continue
        if head >= 0 and lower in ("the", "a", "an") and len(words) == head + 1:
            continue
        verb = bool(words) and lower.endswith("s") and "v" in classes_of(word)
        if lower in STOPWORDS or lower in frame_words() or verb or not names_a_thing(word):
            break
        words.append(word)
    head = head if head >= 0 else len(words) - 1
    return tuple(
        w
        for n, w in enumerate(words)
        if n != head
        and w.lower() not in KIND_NOUNS
        and (w.lower() in STATE_QUALIFIERS or is_superlative(w) or is_name(w, question))
    )


CLASS_START = re.compile(
    r"\b(?:what|which)\s+(?:(?:is|are|was|were)\s+(?:one|some|two|three)\s+(?:of\s+the\s+)?)?"
    r"(?:(?:kinds?|sorts?|types?)\s+of\s+)?",
    re.I,
)  # "what variable", "what is one variable" (an example of the class)


def class_noun(question: str) -> str | None:
    """The noun that names the asked-for thing's class after "what" or "which" ("what variable", "with respect to
    what other variable", "what is one variable"): a passage that answers names the thing, not its class."""
    match = CLASS_START.search(question)
    if match is None:
        return None
    for word in FOCUS_WORD.findall(question[match.end() :].split("?")[0])[:3]:
        lower = word.lower()
        if lower in ("other", "another"):
            continue
        if lower in KIND_NOUNS or lower.removesuffix("s") in KIND_NOUNS:
            return word  # "which subcommand": a kind of answer, in the lexicon or not
        if lower in STOPWORDS or lower in frame_words() or is_name(word, question):
            return None
        classes = classes_of(word)
        if "n" in classes:
            return word
        if "a" not in classes and not lower.endswith(("ing", "ed")):
            return None
    return None


EXTREMES = frozenset("maximum minimum most least max min".split())


def rankings_said(question: str, text: str) -> set[str]:
    """Stems of the question's rankings that the text says with another ranking word ("highest" where it says
    "largest" or "maximum"), each word read alone (qa.thesaurus)."""
    asked = [w for w in re.findall(r"[A-Za-z]+", question) if is_superlative(w)]
    said = [w for w in re.findall(r"[A-Za-z]+", text) if is_superlative(w) or w.lower() in EXTREMES]
    if not asked or not said:
        return set()
    close = thesaurus.closest(asked, said)
    if close is None:
        return set()
    return {t for w, score in zip(asked, close) if score >= ALONE for t in terms(w)}


def is_superlative(word: str) -> bool:
    """An adjective that ranks ("largest", "biggest", "earliest"): it picks one thing out of its class; "honest" and
    "modest" are no adjective's -est form."""
    lower = word.lower()
    if not lower.endswith("est") or "a" not in classes_of(lower):
        return False
    stems = (lower[:-2], lower[:-3], lower[:-4], lower[:-3] + "e", lower[:-4] + "y")
    return any(len(stem) > 2 and "a" in classes_of(stem) for stem in stems)


def is_name(word: str, question: str) -> bool:
    """The word names something rather than describes it: "TCP", "OpenPGP", "Wayland", "s390x"; a capital that
    only starts a sentence does not count, nor a bare count or number."""
    if word.isdigit() or word.lower() in NUMBER_WORDS.split():
        return False
    if any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:]):
        return True
    starts = question.startswith(word) or re.search(rf"[.?!]\s+{re.escape(word)}\b", question)
    return word[:1].isupper() and not starts


TECH_WHERE = re.compile(
    r"\b(?:files?|kept|stored?|config\w*|settings?|put|keep|installed|located|logs?|look|directory|folder|saved?"
    r"|written|lives?|placed?|go)\b",
    re.I,
)
ABOUT_MAIL = re.compile(r"\b(?:e-?mail|mail|contact|write to|report it to|reach(?:es)?)\b", re.I)
# Up to two words between "which" and the kind ("which Freedom Maker target"), none of them a verb ("what was the").
MODIFIERS = r"(?:(?!(?:is|are|was|were|does|do|did|can|could|should|would|will|must)\b)[\w-]+ ){0,2}"
FILE_MODIFIERS = MODIFIERS.replace("[\\w-]", "[\\w.-]")  # "which main.cf parameter"
ENVIRONMENT = re.compile(rf"\b(?:what|which) {MODIFIERS}(?:environment|env) var(?:iable)?s?\b", re.I)
ASKS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        "option",
        re.compile(
            rf"\b(?:what|which) {FILE_MODIFIERS}(?:option|flag|switch|argument|parameter|(?<!variable )setting|directive)s?\b"
            r"|\bwhat (?:do|should|must|can) i (?:need to )?(?:put|set|add|write|specify|change) in (?:my |the |our )?"
            r"(?:[\w~/-]*\.\w+|config(?:uration)?(?: file)?)\b",
            re.I,
        ),
    ),
    (
        "command",
        re.compile(
            rf"\b(?:what|which) {MODIFIERS}(?:command|subcommand|invocation)s?\b"
            r"|\bwhat (?:do|should|must|can) i (?:need to |have to )?(?:run|type|execute|enter)\b",
            re.I,
        ),
    ),
    (
        "path",
        re.compile(
            rf"\b(?:what|which) {MODIFIERS}(?:file|directory|folder|path|dir|queue)s?\b(?! format| type| system| size)",
            re.I,
        ),
    ),
    ("field", re.compile(rf"\b(?:what|which) {MODIFIERS}(?:field|variable|keyword|header|target|macro)s?\b", re.I)),
    (
        "identifier",
        re.compile(
            rf"\b(?:what|which) {MODIFIERS}(?<!http )(?<!hash )(?<!hashing )(?<!request )(?<!auth )"
            r"(?<!authentication )(?<!compression )(?<!encryption )(?<!transfer )(?:method|function|attribute|class"
            r"|exception|constant|property|handler|callback|decorator|call)s?\b",
            re.I,
        ),
    ),
    ("address", re.compile(rf"\b(?:what|which) {MODIFIERS}(?:server|address|url|site|host|e-?mail|list)s?\b", re.I)),
    (
        "version",
        re.compile(
            r"\b(?:what|which)\b[^?.]{0,40}?\bversions?\b(?! format| scheme| string| ?v?\d)"  # "since version 2.09": given
            r"|\b(?:what|which) (?:[\w.-]+ ){0,2}releases? (?:first |initially )?(?:added|introduced|shipped|brought|"
            r"removed|dropped|fixed|deprecated|included)\b",
            re.I,
        ),
    ),
    (
        "package",
        re.compile(
            rf"\b(?:what|which) {MODIFIERS}(?:package|tool|program|utility|script|binary|daemon|helper|library)s?\b"
            r"|\bwhat (?:restores|installs|provides|fixes)\b|\bwhich one\b",
            re.I,
        ),
    ),
    (
        "term",
        re.compile(
            rf"\b(?:what|which) {MODIFIERS}(?:nickname|name|codename|term|format|word|prefix|tag|suffix|label"
            r"|architecture|distribution|release|license|licence)s?\b(?! (?:length|size|count|limit|width)s?\b)"
            r"|\bcalled\b|\bstand for\b",  # "what k-mer word length": a number
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|long|old|far|big|large|tall|high|often|wide|small)\b"
            rf"|\b(?:what|which) {MODIFIERS}(?:percentage|percent|number|amount|population|size|limit|length|port|period|interval|duration|timeout|delay|price|cost|fee|salary|salaries|wage|budget|speed|bandwidth|throughput|threshold|frequency|capacity|temperature|weight|distance)s?\b"
            r"|\b(?:minimum|maximum)\b(?![^?]*\b(?:by|of|for|from|with|on|in|as|about) what\s*\?)"
            r"|\b(?:largest|biggest|highest|greatest|smallest|lowest|longest|shortest) (?:[\w-]+ )?(?:number|value|level|size|count)\b"
            r"|\b(?:largest|biggest|highest|greatest|smallest|lowest|longest|shortest) (?:[\w-]+ ){1,5}(?:(?:i|you|we) can "
            r"(?:set|configure|use|give|specify|pass|choose)|(?:[\w-]+ )?(?:will|can|does|would) (?:accept|allow|support|take|hold|handle|store))\b"
            rf"|\b(?:what|which) {MODIFIERS}(?:(?:status|exit|return) codes?|http status|exit status)\b",
            re.I,
        ),
    ),
    ("time", re.compile(r"\b(?:what|which|in what) (?:year|years|date|century|decade|time|month|day)\b", re.I)),
)
# The same question words in the other languages a question may come in (qa.language): Chinese, Japanese and
# French, most specific first, as in ASKS.
OTHER_ASKS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        "option",
        re.compile(
            r"哪个选项|什么选项|哪个参数|どのオプション|どの引数|quelles? options?"
            r"|quelle ligne (?:mettre|ajouter|écrire)|que (?:dois-je|faut-il) (?:mettre|ajouter|écrire) dans [\w~/.-]*\.\w+",
            re.I,
        ),
    ),
    (
        "command",
        re.compile(
            r"哪个命令|什么命令|どのコマンド|コマンドは|quel(?:le)?s? (?:est |sont )?(?:la |le |les )?(?:\w+ )?commandes?"
            r"|c'est quoi (?:la |le )?(?:\w+ )?commandes?",
            re.I,
        ),
    ),
    (
        "path",
        re.compile(
            r"哪个[^？?。，,]{0,8}?(?:文件|目录|路径|队列|文件夹)|什么(?:文件|目录|路径)|どの[^？?。、,]{0,8}?(?:ファイル|ディレクトリ|フォルダ|パス|キュー)"
            r"|quel(?:le)?s? (?:fichier|répertoire|dossier|chemin|file)",
            re.I,
        ),
    ),
    (
        "field",
        re.compile(
            r"哪个[^？?。，,]{0,12}?(?:变量|字段)|どの[^？?。、,]{0,8}?(?:変数|フィールド)|quel(?:le)?s? (?:variable|champ)",
            re.I,
        ),
    ),
    (
        "address",
        re.compile(
            r"哪个[^？?。，,]{0,8}?(?:服务器|地址|网站|邮件列表)|(?:地址|网址|邮箱)是|どの[^？?。、,]{0,8}?(?:サーバー|アドレス|メーリングリスト)"
            r"|(?:アドレス|メールアドレス)は|quel(?:le)?s? (?:serveur|adresse|site)|à qui .*(?:écrire|envoyer)"
            r"|\bune liste (?:de diffusion|de discussion)\b",  # "il y a une liste de diffusion pour les débutants ?"
            re.I,
        ),
    ),
    (
        "term",
        re.compile(
            r"(?:什么|哪个)\S{0,4}?(?:格式|名字|名称|代号)|叫什么|何の略|何という|(?:名前|形式|フォーマット)は|何と(?:書|記入|入れ|設定)|写什么|填什么|写成什么"
            r"|quel(?:le)?s? (?:\w+ ){0,2}(?:surnom|nom|format|terme|architecture|étiquette|préfixe)s?\b(?! du paquet)|que signifie|veut dire|que (?:dois-je|faut-il) (?:écrire|mettre|indiquer)"
            r"|comment (?:s['’]appelle|on appelle|appelle-t-on|nomme-t-on|on nomme)",
            re.I,
        ),
    ),
    (
        "version",
        re.compile(
            r"哪个版本|什么版本|版本号|どのバージョン|バージョン番号|バージョンは|quel(?:le)? (?:numéro de )?version",
            re.I,
        ),
    ),
    (
        "package",
        re.compile(
            r"哪个(?:软件包|工具|程序|脚本)|什么工具|どの(?:パッケージ|ツール|プログラム)|ツールは|quel(?:le)?s? (?:est |sont )?(?:le |la |les )?(?:nom du )?(?:méta-)?(?:paquet|outil|programme|logiciel)"
            r"|existe-t-il (?:un|une) (?:outil|programme|paquet|logiciel)|\blesquel(?:le)?s\b|\blequel\b|\blaquelle\b",
            re.I,
        ),
    ),
    (
        "time",
        re.compile(
            r"哪天|哪一天|什么时候|何时|几点|哪年|哪一年|几月|星期几|いつ|何時|何曜日|quand|quelle (?:date|heure|année)|quel (?:jour|mois)",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"多少|几个|几位|多久|多长|多大|いくつ|何人|何個|何[日年回週]|何か月|どのくらい|combien|à quelle fréquence"
            r"|quel(?:le)?s? (?:est |sont |serait )?(?:la |le |les |l['’])?(?:taille|longueur|durée|délai|fréquence|limite"
            r"|nombre|quantité|prix|coût|capacité|pourcentage|intervalle|seuil|port|niveau)s?\b",
            re.I,
        ),
    ),
    ("person", re.compile(r"谁|誰|どなた|^\s*qui\b|\b(?:à|de|par|pour|avec|chez) qui\b", re.I)),
    (
        "path",
        re.compile(
            r"(?:安装|放|存|保存|装|记录|写)(?:\S{0,2})?(?:在|到)(?:哪里|哪儿|哪个)|(?:どこ)(?:に|へ)(?:\S{0,6})(?:置|保存|インストール|入)"
            r"|(?:哪里|哪儿)(?:可以|能)?(?:找|查|看)|どこで(?:確認|見|調べ)"
            r"|\boù\b.*(?:enregistr|stock|dépos|install|range|conserv|fichier|trouve|mettre|réglages|configur)",
            re.I,
        ),
    ),
    ("place", re.compile(r"哪里|哪儿|在哪|どこ|\boù\b", re.I)),
    ("command", re.compile(r"怎样|怎么|如何|どうすれば|どうやって|には[？?]\s*$|(?:^|[.?!]\s+)comment\b", re.I)),
)
WHEN = re.compile(r"(?:^|[.?!]\s+)when\b(?![^?]*,[^?]*\b(?:what|which|who|where|how)\b)", re.I)
WHO = re.compile(r"\bwho\b|\bwhom\b|\bwhose\b", re.I)
WHERE = re.compile(r"\bwhere\b", re.I)
HOW_TO = re.compile(r"\bhow (?:do|can|should|would|could) (?:i|you|we|one)\b|\bhow to\b", re.I)
PLACE_NOUNS = re.compile(
    r"\b(?:what|which) (?:country|countries|city|cities|state|states|region|county|counties|continent|river|island"
    r"|town|area|nation)\b",
    re.I,
)
ORGANISATION_NOUNS = re.compile(
    rf"\b(?:what|which) (?!kind |type |sort ){MODIFIERS}(?:compan(?:y|ies)|firms?|universit(?:y|ies)|colleges?"
    r"|organi[sz]ations?|corporations?|agenc(?:y|ies)|institutions?|banks?|vendors?|manufacturers?|startups?)\b",
    re.I,
)  # "which companies lead ...": a company is named, in capitals; "what kind of company" asks for a description

FALLBACK_KINDS: dict[str, Kind] = {
    "command": "command",
    "option": "option",
    "variable": "field",
    "field": "field",
}
FALLBACK = re.compile(rf"\b({'|'.join(FALLBACK_KINDS)})\b", re.I)


def asked(question: str) -> Kind | None:
    """The kind of thing `question` asks for, from the question words of the sentence that asks ("... how many
    substitutions were made. Which method returns both?" asks for no number); None when it asks for a description."""
    return _asked(asking_part(question))


def _asked(question: str) -> Kind | None:
    for kind, pattern in ASKS:
        if pattern.search(question):
            return kind
    for kind, pattern in OTHER_ASKS:
        if pattern.search(question):
            return kind
    if WHEN.search(question):  # the sentence that asks: "When I hit TAB, bash asks ... . What is the threshold?"
        return "time"
    if WHO.search(question):
        return "address" if ABOUT_MAIL.search(question) else "person"
    if PLACE_NOUNS.search(question):
        return "place"
    if ORGANISATION_NOUNS.search(question):
        return "organisation"
    if WHERE.search(question):
        return "path" if TECH_WHERE.search(question) else "place"
    if HOW_TO.search(question):
        return "command"
    noun = FALLBACK.search(question)
    return FALLBACK_KINDS[noun.group(1).lower()] if noun else None


AREAS = re.compile(r"\b(?:what|which) (?:[\w-]+ ){0,2}fields\b", re.I)  # "fields" of a record, or of work


def in_other_sense(question: str, kind: str | None, passages: Sequence[str]) -> bool:
    """The kind word means something else here: "what fields are startups exploring" asks for areas of work
    where no passage holds a field of a record or a variable; "what complexity class" asks for no name in code where
    no passage holds one."""
    if kind == "identifier":
        return not any(spans(kind, p) for p in passages)
    return kind == "field" and AREAS.search(question) is not None and not any(spans(kind, p) for p in passages)


def spans(kind: str, text: str) -> list[tuple[int, int]]:
    """Where `text` holds things of `kind`, in order, overlaps merged into the longer."""
    found: list[tuple[int, int]] = []
    for pattern in PATTERNS.get(kind, ()):
        for match in pattern.finditer(text):
            group = 1 if pattern in (QUOTED, QUOTED_TOKEN, CODE, CALLED, USED, USED_FR, ASSIGNMENT) else 0
            a, b = match.span(group)
            a, b = trimmed(text, a, b)
            if pattern is USED and (classes_of(text[a:b]) or text[a:b] in STOPWORDS or text[a:b] in QUANTIFIERS):
                continue
            if pattern is COMMAND_NAMED and text[a:b].split()[0] in NOT_NAMES | STOPWORDS:
                continue
            if pattern is OPTION_NAMED and text[a:b] in NOT_NAMES:
                continue
            if pattern is USED_FR and (classes_of(text[a:b]) or text[a:b].lower() in FRENCH_AFTER):
                continue
            if b > a and (pattern is not TOOL or _technical(text[a:b])):
                found.append((a, b))
    if kind == "command":
        found += _code_lines(text)
    if kind == "number":  # "[62]": a footnote's or a citation's mark, no quantity
        found = [(a, b) for a, b in found if not (text[a - 1 : a] == "[" and text[b : b + 1] == "]")]
    found.sort(key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a < merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
            continue
        merged.append((a, b))
    return merged


def new_spans(question: str, kind: str | None, text: str) -> list[tuple[int, int]]:
    """The spans of `kind` in `text` that the question does not already say."""
    if kind is None:
        return []
    said = {w.lower() for w in re.findall(r"[\w'’./~@:$-]+", question)}
    said |= {w.strip(".,;:").lower() for w in question.split()}
    said |= {POSSESSIVE.sub("", w) for w in said}
    lowered = question.lower()
    counted = counted_word(question) if kind == "number" else None
    measure = measure_asked(asking_part(question)) if kind == "number" else None
    done = scene(question) if kind == "command" else ""
    unset = [name.lower() for name in code_names(question)] if LEFT_UNSET.search(question) else []
    out = []
    for a, b in _spans_asked(question, kind, text):
        piece = text[a:b]
        if any(name in piece.lower() for name in unset):
            continue  # "I never set XDG_CONFIG_HOME": "$XDG_CONFIG_HOME/git/ignore" is not where it goes then
        words = piece.split()
        key = (words[0] if kind == "number" else words[-1]).lower().strip(".,;:") if words else ""
        if (
            not key
            or (key in said and kind != "term")
            or re.search(rf"(?<!\w){re.escape(piece.lower())}(?!\w)", lowered)
        ):
            continue
        if kind == "command" and ran_already(done, piece):
            continue  # "I ran dquilt new, then ... What command comes next?": not the one already run
        if kind == "version" and not _like_version(piece):
            continue  # "between 0.0 and 5373484.499999": decimal numbers, no release
        if kind == "number" and (
            DOTTED.fullmatch(piece)
            or AFTER_VERSION.search(text[max(0, a - 9) : a])
            or (after_name(text, a, piece) and not PORT.search(question))
        ):
            continue  # "as of version 3.7.17", "with Postfix 2.8": a version or an address, no quantity
        if kind == "number" and YEAR.fullmatch(piece) and not given_value(text, a):
            continue
        if kind == "number" and COUNT.search(question) and no_count(question, piece):
            continue
        if kind == "time" and (in_title(text, a, b) or in_copyright(text, a)):
            continue
        if counted and re.fullmatch(r"[\d.,]+[smhdw]", piece) and abbreviated(counted, text, b - 1):
            out.append((a, b - 1))  # "31d" for "how many days": 31
            continue
        if counted and not (
            counts(counted, _sentence_around(text, a, b)) or abbreviated(counted, text, b) or OF_THESE.match(text, b)
        ):  # "more than 13 of these": the things the sentence before names
            continue
        if measure and measured_as(piece) not in (None, measure):
            continue  # "how long does it wait": "256 bits" measures no time
        if measure and BARE_NUMBER_WORD.fullmatch(piece):
            continue  # "how much disk space": the "one" of "at least one web-based service" measures nothing
        if counted and measured_otherwise(counted, piece):
            continue  # "how many archives": "20MiB" measures a size, it counts no archives
        if counted and counts_other(counted, clause_around(text, a, b)):
            continue  # "the number of students is limited to 4,095, and the number of pages to 63": not 63
        if (
            kind == "number"
            and MEASURE.search(asking_part(question))
            and (not (MEASURED.search(piece) or UNIT_NAMED.search(asking_part(question))) or pronoun(text, a, b))
        ):
            continue
        if text[max(0, a - 2) : a] == "](" or (kind in ("path", "number") and _in_url(text, a)):
            continue  # "[Server Discovery doc](./server-discovery.md)", "ssh://host//path/to/repo", "agree.jsp?id=927"
        if kind == "number" and list_mark(text, a, b):
            continue  # "3. Remote network serial ports": the third item, no quantity
        if kind in ("command", "package", "option") and SEE.search(text[max(0, a - 10) : a]):
            continue  # "(and others, see git-config(1))": a page to read, not the thing asked for
        if kind in ("command", "package", "option") and text[a - 1 : a] in ("⟨", "<") and text[b : b + 1] in ("⟩", ">"):
            continue  # "\shufflegroup{⟨group-name⟩}": a placeholder, no command
        if kind == "field" and ENVIRONMENT.search(question) and piece.lower() == piece:
            continue  # "which environment variable": GIT_LFS_SKIP_PUSH or UserNM, not `init`
        if kind == "field" and text[b : b + 1] == "/" and not piece.startswith("$"):
            continue  # "HOME/.R/Makevars": a path's first part, no variable
        if kind == "number" and pronoun(text, a, b):
            continue
        if kind == "number" and piece.lower() in ("once", "twice") and not HOW_OFTEN.search(question):
            continue  # "Once you turn it off, ...": a conjunction, unless the question asks how often
        if kind == "number" and PRICE.search(question) and not _priced_as(question, piece):
            continue  # "how much does the licence cost": an amount of money, in the currency asked for
        if kind == "address" and re.sub(r"^[a-z][\w+.-]*://", "", piece.lower()).rstrip("/") in said:
            continue  # "smb://freedombox.local" where the question says "instead of freedombox.local"
        if kind == "number" and PORT.search(question) and not piece[:1].isdigit():
            continue  # "two web nodes" is no port
        if kind == "organisation" and not all_capitalised(piece):
            continue  # "AI-focused" is no company
        if kind in ("person", "organisation", "place", "term") and (
            all(POSSESSIVE.sub("", w.lower()) in said for w in re.findall(r"[\w'’-]+", piece))
            or (kind == "organisation" and "".join(w[0] for w in words if w[:1].isupper()).lower() in said - {""})
        ):
            continue  # the question's own name, or a company's long form ("Artificial Intelligence" where it says AI)
        if kind == "term" and " " not in piece and piece.istitle() and classes_of(piece.lower()):
            continue  # "• app: Add a menu item": a capitalised English word is no name
        out.append((a, b))
    if kind == "number":
        out += [
            m.span() for m in VARIANT.finditer(text) if m.group(1).lower() in said and m.group().lower() not in said
        ]
        out.sort()
    return out


def given_value(text: str, start: int) -> bool:
    """The number at `start` is a setting's value ("Default: 1800", "= 2000"), not a year."""
    return VALUE_BEFORE.search(text[max(0, start - 14) : start]) is not None


def all_capitalised(piece: str) -> bool:
    """Each part of the piece starts with a capital, as a name's do ("AI-focused" is no name)."""
    return not any(part[:1].islower() for part in re.split(r"[\s-]+", piece))


FOLDER_NAMED = re.compile(r"(?<![\w/.~$-])[a-z][\w.-]*/(?![\w.])")  # "debian/": a folder of the asker's own tree
LISTED_FILE = re.compile(r"^[ \t]*(?:[-•*][ \t]+)?([a-z][\w-]*(?:\.[\w-]+)+)(?=[ \t]+[—–:-]|[ \t]*$)", re.M)  # a file
# a list or a table of files names at the start of its line: "paquet.cron.daily — installé comme ..."


def _spans_asked(question: str, kind: str, text: str) -> list[tuple[int, int]]:
    """The spans of `kind`; for "which git config option", the configuration keys ("lfs.storage") in place of the
    command-line flags."""
    found = spans(kind, text)
    folder = FOLDER_NAMED.search(question) if kind == "path" else None
    if folder:  # "which file do I create in debian/": "paquet.cron.daily", not where it is installed
        found = [(a, b) for a, b in found if not text[a:b].startswith(("/", "~"))]
        found = sorted(set(found) | {m.span(1) for m in LISTED_FILE.finditer(text)})
    if kind == "option" and not PARAMETER_ASKED.search(question):
        found = [(a, b) for a, b in found if not SNAKE.fullmatch(text[a:b])]  # "the wal_checkpoint pragma" is no
        # compile-time option; a snake_case name is what "which parameter" asks for
    if kind != "option" or not CONFIG_ASKED.search(question):
        return found
    keys = [m.span() for m in CONFIG_KEY.finditer(text) if not FILE_NAME.search(m.group())]
    return sorted([(a, b) for a, b in found if not text[a:b].startswith("-")] + keys)


def list_mark(text: str, start: int, end: int) -> bool:
    """The number at `start` opens a numbered list's line ("2." or "2)"), with the item before or after it in the
    same text: "The default is\n10. Must be at least 5." wraps a quantity onto a line of its own."""
    line = text.rfind("\n", 0, start) + 1
    if text[line:start].strip() or text[end : end + 1] not in (".", ")") or not text[end + 1 : end + 2].isspace():
        return False
    if not text[start:end].isdigit():
        return False
    n = int(text[start:end])
    return any(re.search(rf"(?m)^\s*{m}[.)]\s", text) is not None for m in (n - 1, n + 1) if m >= 0)


def _in_url(text: str, start: int) -> bool:
    """The span starting at `start` is part of a URL ("//path/to/repo" of "ssh://git.example.com//path/to/repo")."""
    token = text[max(0, start - 200) : start].split()[-1:] or [""]
    return "://" in token[0]


PRODUCT_BEFORE = re.compile(r"\b[A-Z][\w+]*[A-Za-z+] $")


def ran_already(scene_said: str, line: str) -> bool:
    """The command line starts with a command and its first argument that the asker says were run already."""
    words = PROMPTED.sub("", line, count=1).split()
    return len(words) > 1 and " ".join(words[:2]).lower() in scene_said


def after_name(text: str, a: int, piece: str) -> bool:
    """A number with a point and no unit right after a capitalised name is that product's release: "Postfix 2.8"
    (or a kind of port: "USB 3.0")."""
    return re.fullmatch(r"\d+\.\d+", piece) is not None and PRODUCT_BEFORE.search(text, max(0, a - 30), a) is not None


IN_FILE_NAME = re.compile(r"[.-][A-Za-z]")


def versions_named(question: str) -> list[str]:
    """The release numbers the asking sentence writes ("3.3.0" of "when did Git LFS 3.3.0 come out?")."""
    asking = asking_part(question)
    return [
        m.group()
        for m in VERSION.finditer(asking)
        if "." in m.group()
        and _like_version(m.group())
        and not IN_FILE_NAME.match(asking, m.end())
        and asking[m.start() - 1 : m.start()] not in ("-", "_", "/")
    ]  # not the "0.9.12" of "gentoo-0.9.12.tar.gz": a file's name


def _like_version(piece: str) -> bool:
    """A release number's parts are short and not all zero: not 5373484.499999, not 0.0."""
    numbers = re.findall(r"\d+", piece)
    return all(len(n) <= 4 for n in numbers) and any(int(n) for n in numbers)


def _priced_as(question: str, piece: str) -> bool:
    """The number is an amount of money, and in the question's currency where it names one."""
    asked = [name for name, pattern in CURRENCIES.items() if pattern.search(question)]
    given = [name for name, pattern in CURRENCIES.items() if pattern.search(piece)]
    return bool(given) and (not asked or bool(set(asked) & set(given)))


def holds(question: str, kind: str, text: str) -> bool:
    """Whether `text` holds a thing of `kind` that the question does not say, read as across languages: without
    new_spans' checks that an English question's counted noun or measure stands beside it, and in a Chinese or
    Japanese text any numeral for a number or a date ("十八米", "1985年", "一九八五年"); a number or a date inside a
    quoted title ("Hong Kong 2030+: Towards ...") is part of a name, and a copyright notice's year dates nothing, as
    for English questions."""
    found = spans(kind, text)
    if kind in ("number", "time") and CJK_RUN.search(text):
        found += [m.span() for m in NUMERALS.finditer(text)]
    if kind in ("number", "time"):
        found = [(a, b) for a, b in found if not in_title(text, a, b) and not in_copyright(text, a)]
    family = measure_asked_across(question) if kind == "number" else None
    if family:  # "combien de temps dure le gel": a duration, not "Debian 11" or "3 paquets"
        found = [(a, b) for a, b in found if measured_in(family, text, a, b)]
    lowered = question.lower()
    return any(text[a:b].lower() not in lowered for a, b in found)


def in_copyright(text: str, a: int) -> bool:
    """The span is a year of a copyright notice ("Copyright (C) 1996-2003 ..."): it dates the notice, no event."""
    return COPYRIGHT.search(text, max(text.rfind("\n", 0, a) + 1, a - 40), a) is not None


def in_title(text: str, a: int, b: int) -> bool:
    """The span is part of a quoted title: a year in a plan's name dates nothing."""
    return any(m.start(1) <= a and b <= m.end(1) for m in TITLE.finditer(text))


def gives_name(question: str, kind: str | None, text: str) -> bool:
    """The text says what a thing is called ("these scripts are called britney") and the question asks for a name,
    or it runs a tool ("dpkg-divert --divert ...") and the question asks which tool."""
    if kind not in ("term", "package"):
        return False
    given = {(m.start(1), m.end(1)) for pattern in (CALLED, USED) for m in pattern.finditer(text)}
    if kind == "package":
        given |= {(a, a + len(text[a:b].split()[0])) for a, b in _code_lines(text)}
    return any(span in given for span in new_spans(question, kind, text))


def _sentence_around(text: str, a: int, b: int) -> str:
    """The sentence that holds text[a:b]; with the one before it where it only gives a default ("Maximum number of
    targets to consider. The default value is 32.")."""
    start, end = _sentence_bounds(text, a, b)
    if start > 0 and DEFAULT_GIVEN.match(text[start:a].lstrip()):
        ends = [m.end() for m in SENTENCE_END.finditer(text, 0, start)]
        start = ends[-2] if len(ends) > 1 else 0
    return text[start:end]


def _sentence_bounds(text: str, a: int, b: int) -> tuple[int, int]:
    """Where the sentence that holds text[a:b] starts and ends: from the last sentence end before it to the next
    after it."""
    ends = [m.end() for m in SENTENCE_END.finditer(text, 0, a)]
    after = SENTENCE_END.search(text, b)
    return ends[-1] if ends else 0, after.start() if after else len(text)


CLAUSE_END = re.compile(r";|,\s+(?:and|but|while|whereas)\s+")


def clause_around(text: str, a: int, b: int) -> str:
    """The clause of its sentence that holds text[a:b]: the sentence cut at "; " and ", and "."""
    start, end = _sentence_bounds(text, a, b)
    ends = [m.end() for m in CLAUSE_END.finditer(text, start, a)]
    after = CLAUSE_END.search(text, b, end)
    return text[ends[-1] if ends else start : after.start() if after else end]


def _technical(piece: str) -> bool:
    """A tool-like token is technical unless it is only common words joined by hyphens ("boot-up", "e-mail")."""
    parts = re.split(r"[-_+.]", piece.lower())
    if all(len(p) <= 1 for p in parts):
        return False  # "e.g", "i.e": abbreviations
    return bool(re.search(r"[\d_+.]", piece)) or not all(p in COMMON_PARTS for p in parts)


def trimmed(text: str, a: int, b: int) -> tuple[int, int]:
    while b > a and text[b - 1] in ".,;:!?)\"'”’":
        if text[b - 1] == ")" and text.count("(", a, b) >= text.count(")", a, b):
            break
        if text[b - 1] in "\"'" and text.count(text[b - 1], a, b) % 2 == 0:
            break  # filemode='w': the quote that closes a value
        b -= 1
    return a, b


def is_code_line(line: str) -> bool:
    """A line that reads as a command: a tool name and its arguments, no sentence around them."""
    stripped = line.strip()
    words = stripped.split()
    prompted = PROMPTED.match(stripped)
    if prompted and 2 <= len(words) <= 7 and not set(map(str.lower, words)) & STOPWORDS:
        return INLINE_CODE.match(stripped) is not None  # "# postfix reload": a command as root, no comment
    return bool(
        stripped
        and INLINE_CODE.match(stripped)
        and not stripped.endswith((".", "?", "!", ":"))
        and "," not in stripped
        and (len(words) == 1 or any(_tool_like(w) or OPTION.fullmatch(w) or "/" in w for w in words))
        and (len(words) > 1 or _tool_like(words[0]))
    )


SETTING_LINE = re.compile(
    r"[a-z][a-z0-9]*(?:[_.-][a-z0-9]+)+\s*=\s*\S.*"  # notify_classes = resource, software
    r"|[a-z][a-z0-9]*\s*=\s*(?:\$\w+|yes|no|true|false|\d+\w*)(?:[ ,]+\S+)*"  # myorigin = $mydomain
)


def is_setting_line(line: str) -> bool:
    """A line of a configuration file: a setting and its value, no sentence around them."""
    stripped = line.strip()
    return SETTING_LINE.fullmatch(stripped) is not None and not stripped.endswith((".", "?", "!", ":"))


def _tool_like(word: str) -> bool:
    return bool(TOOL.fullmatch(word.strip("$#"))) and _technical(word)


def _code_lines(text: str) -> list[tuple[int, int]]:
    out = []
    offset = 0
    for line in text.split("\n"):
        if is_code_line(line):
            prompt = PROMPTED.match(line)
            lead = prompt.end() if prompt else len(line) - len(line.lstrip())
            out.append((offset + lead, offset + len(line.rstrip())))
        offset += len(line) + 1
    return out
