"""Stand-in for GLUE CoLA (``nyu-mll/glue``, config ``cola``): is this sentence grammatical?

Used in notebooks/02_keras_to_tf_dataset.ipynb.

Acceptable sentences come from a small English grammar: subjects (names, pronouns,
determiner + adjective + noun, relative clauses, coordination), verbs in several tenses
with correct agreement and argument structure (intransitive, transitive, ditransitive,
locative, clausal and control verbs), adjuncts, subordinate and embedded clauses, and
questions. Unacceptable sentences are built the same way with one linguistically
motivated error: subject-verb agreement, a missing or an extra argument, a wrong verb form
after an auxiliary, a pronoun in the wrong case, a dropped determiner, a doubled word,
word-order errors (determiner/noun, adjective/noun, object before the verb, an adverb
between the verb and its object), a missing subject, or a malformed question.

Like CoLA, most sentences are short and a few are long (clauses chained): measured with
the uncased BERT WordPiece tokenizer, the default train split has a mean of about 11
tokens (with [CLS] and [SEP]) and a longest example of more than 40.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from . import _largest_remainder, _split_sizes
from ._vocab import lines, words

if TYPE_CHECKING:  # pragma: no cover
    import datasets

COLA_LABELS: tuple[str, ...] = ("unacceptable", "acceptable")
#: Share of acceptable sentences in every split (CoLA's train split has about 0.70).
ACCEPTABLE_SHARE = 0.70
DEFAULT_COLA_SIZES: Mapping[str, int] = {"train": 3000, "validation": 500, "test": 500}

Tok = tuple[str, str]  # (word, tag)
# Tags: D determiner, A adjective, NS/NP singular/plural common noun, PN proper name,
# PRN/PRA nominative/accusative pronoun, V main verb, X auxiliary, NEG, P preposition,
# R adverb or adverbial phrase, C complementizer/conjunction, REL, T infinitival "to",
# W wh-word, PU punctuation.


def _forms(spec: str) -> tuple[str, str, str, str, str]:
    base, s, past, pp, ing = spec.split()
    return base, s, past, pp, ing


# --- lexicon -------------------------------------------------------------------------------


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Split "dog/dogs cat/cats" into (singular, plural) pairs."""
    return tuple(tuple(w.split("/")) for w in text.split())  # type: ignore[misc]


def _verbs(text: str) -> tuple[tuple[str, ...], ...]:
    """One verb per line: "base 3sg past participle gerund" [| more fields]."""
    rows = []
    for line in lines(text):
        forms, *rest = (part.strip() for part in line.split("|"))
        rows.append((_forms(forms), *rest))
    return tuple(rows)


_NOUNS: dict[str, tuple[tuple[str, str], ...]] = {
    "person": _pairs(
        """
        teacher/teachers student/students doctor/doctors farmer/farmers child/children
        woman/women man/men baker/bakers pilot/pilots nurse/nurses king/kings queen/queens
        lawyer/lawyers artist/artists poet/poets sailor/sailors girl/girls boy/boys
        neighbor/neighbors professor/professors senator/senators writer/writers chef/chefs
        singer/singers guest/guests judge/judges soldier/soldiers visitor/visitors
        author/authors gardener/gardeners actor/actors thief/thieves officer/officers
        editor/editors manager/managers
        """
    ),
    "animal": _pairs(
        """
        dog/dogs cat/cats horse/horses mouse/mice bird/birds rabbit/rabbits fox/foxes goat/goats
        puppy/puppies kitten/kittens cow/cows parrot/parrots duck/ducks wolf/wolves bear/bears
        monkey/monkeys
        """
    ),
    "food": _pairs(
        """
        apple/apples cake/cakes sandwich/sandwiches pie/pies cookie/cookies orange/oranges
        pizza/pizzas banana/bananas pear/pears muffin/muffins carrot/carrots potato/potatoes
        peach/peaches lemon/lemons onion/onions egg/eggs pancake/pancakes tomato/tomatoes
        plum/plums
        """
    ),
    "text": _pairs(
        """
        book/books letter/letters poem/poems story/stories report/reports article/articles
        novel/novels essay/essays note/notes message/messages speech/speeches play/plays
        review/reviews proposal/proposals recipe/recipes map/maps
        """
    ),
    "object": _pairs(
        """
        car/cars bicycle/bicycles lamp/lamps chair/chairs table/tables window/windows door/doors
        radio/radios clock/clocks box/boxes vase/vases key/keys bag/bags umbrella/umbrellas
        hat/hats ladder/ladders camera/cameras kettle/kettles violin/violins painting/paintings
        wallet/wallets boat/boats computer/computers mirror/mirrors basket/baskets
        """
    ),
    "building": _pairs(
        """
        house/houses bridge/bridges wall/walls tower/towers shed/sheds barn/barns fence/fences
        cottage/cottages castle/castles museum/museums hotel/hotels garage/garages cabin/cabins
        """
    ),
}
_LOCATIONS: tuple[str, ...] = words(
    """
    table shelf desk box drawer sofa counter bench cupboard basket stove windowsill piano tray
    doorstep floor
    """
)
_LOC_PREPS: tuple[str, ...] = words("on in under behind beside near")

_NAMES: tuple[str, ...] = words(
    """
    John Mary Sue Bill Fred Sarah Tom Anna Kim Chris Maria Paul Lisa Peter Jane Max Emma Henry
    Rachel David Martha Susan Jack Harriet Ben Nora Sam Julia Oscar Kate Leo Rosa Ivan Mona Carl
    Dana Eric Helen
    """
)

# (nominative, accusative, agreement); "you" and "it" have one form and are left out.
_PRONOUNS: tuple[tuple[str, str, str], ...] = (
    ("I", "me", "1sg"), ("he", "him", "3sg"), ("she", "her", "3sg"),
    ("we", "us", "pl"), ("they", "them", "pl"),
)  # fmt: skip
_YOU = ("you", "you", "2")

_ADJ_ANIMATE: tuple[str, ...] = words(
    """
    happy angry clever lazy tired brave hungry friendly sleepy careful famous young old tall
    little nervous proud quiet noisy curious patient rich lonely
    """
)
_ADJ_THING: tuple[str, ...] = words(
    """
    red broken heavy shiny long green wooden expensive ancient new old small big little strange
    blue dusty famous tiny beautiful cheap enormous yellow
    """
)
_ADJ_BY_CAT: dict[str, tuple[str, ...]] = {
    "person": _ADJ_ANIMATE,
    "animal": _ADJ_ANIMATE,
    "food": words("fresh sweet big small delicious ripe warm rotten green huge"),
}

_MODALS: tuple[str, ...] = words("can could will would should might must may")
_NEG_CONTRACT = {
    w: w + "n't" for w in words("do does did could would should has have had is are was were")
}
_NEG_CONTRACT.update({"can": "can't", "will": "won't"})

# Intransitive verbs: forms | subjects (p: people, a: animals) | strict (no object at all,
# "*John sneezed the book.") or not ("John ran the shop.").
_INTRANSITIVE: tuple[tuple[tuple[str, ...], str, bool], ...] = tuple(
    (forms, subj, kind == "strict")
    for forms, subj, kind in _verbs(
        """
        sleep sleeps slept slept sleeping | pa | strict
        laugh laughs laughed laughed laughing | p | strict
        smile smiles smiled smiled smiling | p | strict
        cry cries cried cried crying | pa | loose
        arrive arrives arrived arrived arriving | pa | strict
        sneeze sneezes sneezed sneezed sneezing | pa | strict
        yawn yawns yawned yawned yawning | pa | strict
        wait waits waited waited waiting | pa | loose
        dance dances danced danced dancing | p | loose
        run runs ran run running | pa | loose
        swim swims swam swum swimming | pa | loose
        shout shouts shouted shouted shouting | p | loose
        sigh sighs sighed sighed sighing | p | strict
        fall falls fell fallen falling | pa | strict
        disappear disappears disappeared disappeared disappearing | pa | strict
        vanish vanishes vanished vanished vanishing | pa | strict
        complain complains complained complained complaining | p | strict
        snore snores snored snored snoring | pa | strict
        giggle giggles giggled giggled giggling | p | strict
        shiver shivers shivered shivered shivering | pa | strict
        collapse collapses collapsed collapsed collapsing | pa | loose
        hesitate hesitates hesitated hesitated hesitating | p | strict
        rest rests rested rested resting | pa | loose
        jump jumps jumped jumped jumping | pa | loose
        blush blushes blushed blushed blushing | p | strict
        frown frowns frowned frowned frowning | p | strict
        tremble trembles trembled trembled trembling | pa | strict
        wander wanders wandered wandered wandering | pa | loose
        """
    )
)

# Transitive verbs: forms | subjects | object categories | a preposition that must not
# come between the verb and its object ("*John discussed about the plan."), or "-".
_TRANSITIVE: tuple[tuple[tuple[str, ...], str, tuple[str, ...], str | None], ...] = tuple(
    (forms, subj, tuple(objs.split()), None if bad == "-" else bad)
    for forms, subj, objs, bad in _verbs(
        """
        admire admires admired admired admiring | p | person text building | about
        criticize criticizes criticized criticized criticizing | p | person text | about
        visit visits visited visited visiting | p | person building | to
        meet meets met met meeting | p | person | -
        praise praises praised praised praising | p | person text | about
        thank thanks thanked thanked thanking | p | person | -
        destroy destroys destroyed destroyed destroying | pa | object building text | -
        build builds built built building | p | building | -
        repair repairs repaired repaired repairing | p | object building | -
        describe describes described described describing | p | person object building | about
        devour devours devoured devoured devouring | pa | food | -
        carry carries carried carried carrying | pa | object food | -
        find finds found found finding | pa | object food text animal | -
        lose loses lost lost losing | p | object text | -
        buy buys bought bought buying | p | object food text animal | -
        sell sells sold sold selling | p | object food text building | -
        borrow borrows borrowed borrowed borrowing | p | text object | -
        hide hides hid hidden hiding | pa | object food text | -
        chase chases chased chased chasing | pa | animal person | -
        mention mentions mentioned mentioned mentioning | p | person text | about
        discuss discusses discussed discussed discussing | p | text | about
        examine examines examined examined examining | p | object text animal | -
        ignore ignores ignored ignored ignoring | pa | person animal | -
        approach approaches approached approached approaching | pa | person animal building | to
        enter enters entered entered entering | pa | building | -
        marry marries married married marrying | p | person | with
        grab grabs grabbed grabbed grabbing | pa | object food | -
        break breaks broke broken breaking | pa | object | -
        steal steals stole stolen stealing | pa | object food text | -
        choose chooses chose chosen choosing | p | object food text | -
        take takes took taken taking | pa | object food text | -
        see sees saw seen seeing | pa | person animal object building | -
        """
    )
)
# Transitive verbs whose object cannot be left out ("*John devoured."); for the others
# ("we met", "they sold") a missing object is not an error.
_OBLIGATORY = frozenset(
    words("admire thank destroy repair describe devour find mention discuss ignore grab take")
)
# Verbs whose object is optional ("John ate."): forms | subjects | object categories.
_OPTIONAL: tuple[tuple[tuple[str, ...], str, tuple[str, ...], str | None], ...] = tuple(
    (forms, subj, tuple(objs.split()), None)
    for forms, subj, objs in _verbs(
        """
        eat eats ate eaten eating | pa | food
        read reads read read reading | p | text
        write writes wrote written writing | p | text
        cook cooks cooked cooked cooking | p | food
        paint paints painted painted painting | p | object building
        draw draws drew drawn drawing | p | animal object building
        study studies studied studied studying | p | text
        win wins won won winning | p | object
        """
    )
)
# Verbs with an object and a place ("put the cup on the table"); "put" needs both.
_PUT: tuple[tuple[str, ...], ...] = tuple(
    forms
    for (forms,) in _verbs(
        """
        put puts put put putting
        place places placed placed placing
        set sets set set setting
        leave leaves left left leaving
        """
    )
)
# Verbs with two objects ("give Mary a book", "give a book to Mary").
_DITRANSITIVE: tuple[tuple[str, ...], ...] = tuple(
    forms
    for (forms,) in _verbs(
        """
        give gives gave given giving
        send sends sent sent sending
        show shows showed shown showing
        hand hands handed handed handing
        lend lends lent lent lending
        offer offers offered offered offering
        bring brings brought brought bringing
        sell sells sold sold selling
        """
    )
)
# Verbs with a that-clause.
_CLAUSAL: tuple[tuple[str, ...], ...] = tuple(
    forms
    for (forms,) in _verbs(
        """
        think thinks thought thought thinking
        believe believes believed believed believing
        say says said said saying
        know knows knew known knowing
        claim claims claimed claimed claiming
        suspect suspects suspected suspected suspecting
        hope hopes hoped hoped hoping
        realize realizes realized realized realizing
        forget forgets forgot forgotten forgetting
        notice notices noticed noticed noticing
        announce announces announced announced announcing
        insist insists insisted insisted insisting
        doubt doubts doubted doubted doubting
        remember remembers remembered remembered remembering
        """
    )
)
# Verbs with a to-infinitive ("try to leave").
_CONTROL: tuple[tuple[str, ...], ...] = tuple(
    forms
    for (forms,) in _verbs(
        """
        try tries tried tried trying
        want wants wanted wanted wanting
        decide decides decided decided deciding
        refuse refuses refused refused refusing
        plan plans planned planned planning
        agree agrees agreed agreed agreeing
        promise promises promised promised promising
        manage manages managed managed managing
        hope hopes hoped hoped hoping
        forget forgets forgot forgotten forgetting
        """
    )
)

_ADJUNCTS: dict[str, tuple[str, ...]] = {
    "any": lines(
        """
        in the morning
        at night
        after lunch
        before dinner
        on Sunday
        in the summer
        in the garden
        at the station
        near the river
        in the kitchen
        behind the house
        at the market
        in the library
        on the bus
        with great care
        without a word
        in silence
        at home
        for an hour
        on purpose
        quickly
        slowly
        carefully
        quietly
        happily
        again
        twice
        with a smile
        in the rain
        at the party
        """
    ),
    "past": lines(
        """
        yesterday
        last week
        two days ago
        last summer
        once
        at last
        """
    ),
    "future": lines(
        """
        tomorrow
        next week
        soon
        later
        """
    ),
}
_MANNER = words("quickly slowly carefully quietly happily eagerly secretly gladly")
_SUBORD = words("because when before after although while since")
# Tenses for subordinate clauses: no "*before he will leave".
_SUB_TENSES = tuple("past past past pres pres perf prog_past neg_past perf_past".split())

# --- building blocks -----------------------------------------------------------------------


def _agr_s(agr: str) -> bool:
    return agr == "3sg"


def _be(agr: str, past: bool) -> str:
    if past:
        return "was" if agr in ("1sg", "3sg") else "were"
    return {"1sg": "am", "3sg": "is"}.get(agr, "are")


def _be_wrong(agr: str, past: bool) -> str:
    if past:
        return "were" if agr in ("1sg", "3sg") else "was"
    return "is" if agr != "3sg" else "are"


class _Gen:
    """One sentence generator; ``rng`` drives every choice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # -- noun phrases --
    def noun_phrase(
        self,
        cat: str,
        role: str,
        *,
        depth: int = 0,
        pron: bool | None = None,
        wrong_case: bool = False,
        rel_p: float = 0.06,
        allow_coord: bool = True,
    ) -> tuple[list[Tok], str]:
        """Return the words of a noun phrase and its agreement (1sg, 2, 3sg or pl).

        ``wrong_case`` gives a pronoun in the wrong case ("*Him saw the cat.").
        """
        rng = self.rng
        if wrong_case:
            cat, pron = "person", True
        if cat == "person":
            r = rng.random() if pron is None else (0.0 if pron else 1.0)
            if r < 0.2:
                if wrong_case or rng.random() < 0.9:
                    nom, acc, agr = rng.choice(_PRONOUNS)
                else:
                    nom, acc, agr = _YOU
                if wrong_case:
                    nom, acc = acc, nom
                word = nom if role == "subj" else acc
                tag = "PRN" if role == "subj" else "PRA"
                if word == "you":
                    tag = "PRY"
                return [(word, tag)], agr
            if r < 0.5:
                if allow_coord and role == "subj" and rng.random() < 0.06:
                    a, b = rng.sample(_NAMES, 2)
                    return [(a, "PN"), ("and", "C"), (b, "PN")], "pl"
                return [(rng.choice(_NAMES), "PN")], "3sg"
        sg, pl = rng.choice(_NOUNS[cat])
        plural = rng.random() < 0.3
        toks: list[Tok] = []
        r = rng.random()
        if plural:
            if r < 0.5:
                toks.append(("the", "D"))
            elif r < 0.85:
                toks.append(
                    (
                        rng.choice(
                            (
                                "some",
                                "these",
                                "those",
                                "my",
                                "his",
                                "her",
                                "our",
                                "their",
                                "two",
                                "three",
                                "many",
                            )
                        ),
                        "D",
                    )
                )
        else:
            if r < 0.55:
                toks.append(("the", "D"))
            elif r < 0.8:
                toks.append(("a", "D"))
            else:
                toks.append(
                    (
                        rng.choice(
                            ("this", "that", "every", "my", "his", "her", "our", "their", "your")
                        ),
                        "D",
                    )
                )
        if rng.random() < 0.22:
            toks.append((rng.choice(_ADJ_BY_CAT.get(cat, _ADJ_THING)), "A"))
        toks.append((pl, "NP") if plural else (sg, "NS"))
        agr = "pl" if plural else "3sg"
        if depth < 2 and rng.random() < rel_p:
            toks += self.relative(cat, agr, depth + 1)
        return toks, agr

    def relative(self, cat: str, agr: str, depth: int) -> list[Tok]:
        rng = self.rng
        animate = cat in ("person", "animal")
        rel = rng.choice(("who", "that")) if cat == "person" else rng.choice(("that", "which"))
        hosts = [v for v in _TRANSITIVE + _OPTIONAL if cat in v[2]]
        if (animate and rng.random() < 0.5) or not hosts:
            # subject gap: "the dog that chased the cat"
            return [(rel, "REL")] + self.verb_phrase(
                cat, agr, depth=depth, tense=rng.choice(("past", "past", "pres")), adjunct_p=0.1
            )
        # object gap: "the book that the student read"
        forms, subj, _objs, _bad = rng.choice(hosts)
        scat = "person" if "p" in subj else "animal"
        subj_toks, sagr = self.noun_phrase(scat, "subj", depth=depth + 1, rel_p=0.0)
        vgroup = self.verb_group(forms, sagr, rng.choice(("past", "past", "pres", "perf")))
        return [(rel, "REL")] + subj_toks + vgroup

    # -- verbs --
    def verb_group(
        self, forms: Sequence[str], agr: str, tense: str, err: str | None = None, neg: bool = False
    ) -> list[Tok]:
        """Auxiliaries and main verb; ``err`` in {None, "agreement", "verb_form"}."""
        rng = self.rng
        base, s, past, pp, ing = forms
        agree_err = err == "agreement"
        form_err = err == "verb_form"
        if tense == "base":
            if form_err:
                return [(rng.choice([f for f in (s, past, ing) if f != base]), "V")]
            return [(base, "V")]
        if tense == "pres" and not neg:
            wrong = agree_err
            return [(s if _agr_s(agr) != wrong else base, "V")]
        if tense == "past" and not neg:
            return [(past, "V")]
        aux: list[Tok]
        if tense in ("pres", "past"):  # negated: do-support
            do = "did" if tense == "past" else ("does" if _agr_s(agr) != agree_err else "do")
            aux, main = [(do, "X")], base
            wrong_forms = [f for f in (s, past, ing) if f != base]
        elif tense == "modal":
            aux, main = [(rng.choice(_MODALS), "X")], base
            wrong_forms = [f for f in (s, past, ing) if f != base]
        elif tense in ("prog", "prog_past"):
            be = (
                _be_wrong(agr, tense == "prog_past")
                if agree_err
                else _be(agr, tense == "prog_past")
            )
            aux, main = [(be, "X")], ing
            wrong_forms = [base]  # not the past form: "was admired" can be a passive
        elif tense in ("perf", "perf_past"):
            if tense == "perf_past":
                have = "had"
            else:
                have = "has" if _agr_s(agr) != agree_err else "have"
            aux, main = [(have, "X")], pp
            wrong_forms = [
                ing
            ]  # not the base form: "*they have paint" reads as "have (some) paint"
        else:  # pragma: no cover
            raise ValueError(tense)
        if neg:
            word = aux[0][0]
            if word in _NEG_CONTRACT and rng.random() < 0.3:
                aux = [(_NEG_CONTRACT[word], "X")]
            elif word == "can" and rng.random() < 0.5:
                aux = [("cannot", "X")]
            else:
                aux = aux + [("not", "NEG")]
        if form_err:
            main = rng.choice(wrong_forms)
        return aux + [(main, "V")]

    def pick_tense(self, err: str | None, allow_prog: bool = True) -> str:
        rng = self.rng
        if err == "agreement":
            return rng.choice(("pres", "pres", "pres", "prog", "perf", "neg_pres"))
        if err == "verb_form":
            return rng.choice(
                ("modal", "modal", "prog", "prog_past", "perf", "perf_past", "neg_pres", "neg_past")
            )
        if err == "missing_subj":
            return rng.choice(("past", "past", "perf", "prog"))
        r = rng.random()
        for tense, cum in (
            ("past", 0.40),
            ("pres", 0.62),
            ("modal", 0.74),
            ("prog", 0.79),
            ("prog_past", 0.82),
            ("perf", 0.88),
            ("perf_past", 0.91),
            ("neg_pres", 0.95),
            ("neg_past", 1.0),
        ):
            if r < cum:
                if not allow_prog and tense.startswith("prog"):
                    return "past"
                return tense
        return "past"  # pragma: no cover

    def _vg(self, forms: Sequence[str], agr: str, tense: str, err: str | None) -> list[Tok]:
        neg = tense.startswith("neg_")
        t = tense[4:] if neg else tense
        if tense == "modal" and self.rng.random() < 0.12:
            neg = True
        vg_err = err if err in ("agreement", "verb_form") else None
        return self.verb_group(forms, agr, t, vg_err, neg=neg)

    def verb_phrase(
        self,
        subj_cat: str,
        agr: str,
        *,
        depth: int = 0,
        tense: str | None = None,
        err: str | None = None,
        frame: str | None = None,
        adjunct_p: float = 0.3,
    ) -> list[Tok]:
        """Verb group, complements and adjuncts for a subject of ``subj_cat``/``agr``."""
        rng = self.rng
        letter = "p" if subj_cat == "person" else "a"
        if frame is None:
            frame = self.pick_frame(err, subj_cat, depth)
        if tense is None:
            tense = self.pick_tense(err, allow_prog=frame not in ("clause",))
        pre: list[Tok] = []  # object before the verb (order error)
        comp: list[Tok] = []
        if frame == "intr":
            choices = [
                v for v in _INTRANSITIVE if letter in v[1] and (v[2] or err != "obj_on_intr")
            ]
            forms = rng.choice(choices)[0]
            if err == "obj_on_intr":
                comp = self.noun_phrase(
                    rng.choice(("object", "food", "text", "building")), "obj", depth=depth + 1
                )[0]
        elif frame in ("tr", "opt"):
            pool = _TRANSITIVE if frame == "tr" else _OPTIONAL
            if err == "extra_prep":
                pool = tuple(v for v in _TRANSITIVE if v[3])
            elif err == "missing_arg":
                pool = tuple(v for v in _TRANSITIVE if v[0][0] in _OBLIGATORY)
            elif err == "case_obj":
                pool = tuple(v for v in _TRANSITIVE if "person" in v[2])
            elif err == "order_vo":
                pool = tuple(v for v in _TRANSITIVE if set(v[2]) - {"person"})
            choices = [v for v in pool if letter in v[1]]
            forms, _s, objs, bad = rng.choice(choices)
            if err == "case_obj":
                ocat = "person"
            elif err == "order_vo":
                ocat = rng.choice([c for c in objs if c != "person"])
            else:
                ocat = rng.choice(objs)
            obj = self.noun_phrase(
                ocat,
                "obj",
                depth=depth + 1,
                wrong_case=err == "case_obj",
                rel_p=0.0 if err == "adv_vo" else 0.06,
            )[0]
            if err == "missing_arg":
                comp = []
            elif err == "extra_prep":
                comp = [(bad, "P")] + obj
            elif err == "adv_vo":
                comp = [(rng.choice(_MANNER), "R")] + obj
            elif err == "order_vo":
                pre = obj
            elif frame == "tr" or rng.random() < 0.7:
                comp = obj
        elif frame == "put":
            forms = _PUT[0] if err == "missing_arg" else rng.choice(_PUT)
            obj = self.noun_phrase(
                rng.choice(("object", "food", "text")), "obj", depth=depth + 1, rel_p=0.0
            )[0]
            loc = [
                (rng.choice(_LOC_PREPS), "P"),
                (rng.choice(("the", "the", "a", "my", "her")), "D"),
                (rng.choice(_LOCATIONS), "NS"),
            ]
            if err == "missing_arg":
                comp = obj if rng.random() < 0.7 else loc
            else:
                comp = obj + loc
        elif frame == "ditr":
            # "*John gave the student." but "John sent the student." is fine
            pool = _DITRANSITIVE
            if err == "missing_arg":
                pool = tuple(f for f in _DITRANSITIVE if f[0] in ("give", "hand", "lend"))
            forms = rng.choice(pool)
            rec = self.noun_phrase(
                "person", "obj", depth=depth + 1, rel_p=0.0, wrong_case=err == "case_obj"
            )[0]
            theme = self.noun_phrase(
                rng.choice(("object", "food", "text")), "obj", depth=depth + 1, rel_p=0.0
            )[0]
            if err == "missing_arg":
                comp = rec
            elif err == "case_obj" or rng.random() < 0.6:
                comp = rec + theme
            else:
                comp = theme + [("to", "P")] + rec
        elif frame == "clause":
            forms = rng.choice(_CLAUSAL)
            comp = ([("that", "C")] if rng.random() < 0.7 else []) + self.clause(depth=depth + 1)
        elif frame == "control":
            forms = rng.choice(_CONTROL)
            inner_err, drop_to = None, False
            if err == "verb_form":  # "*She tried to fixed the car." / "*She tried fix the car."
                inner_err, drop_to = ("verb_form", False) if rng.random() < 0.5 else (None, True)
                err = None  # the error is in the complement; the main verb stays well formed
            inner = self.verb_phrase(
                subj_cat,
                agr,
                depth=depth + 1,
                tense="base",
                frame=rng.choice(("intr", "tr", "tr", "opt")),
                err=inner_err,
                adjunct_p=0.2,
            )
            comp = inner if drop_to else [("to", "T")] + inner
        else:  # pragma: no cover
            raise ValueError(frame)
        vgroup = self._vg(forms, agr, tense, err)
        toks = pre + vgroup + comp
        if rng.random() < adjunct_p:
            toks += self.adjunct(tense)
        return toks

    def pick_frame(self, err: str | None, subj_cat: str, depth: int) -> str:
        rng = self.rng
        if err == "missing_arg":
            return rng.choice(("tr", "tr", "tr", "put", "ditr")) if subj_cat == "person" else "tr"
        if err == "obj_on_intr":
            return "intr"
        if err in ("extra_prep", "adv_vo", "order_vo", "case_obj"):
            if err == "case_obj" and subj_cat == "person" and rng.random() < 0.3:
                return "ditr"
            return "tr"
        if err == "verb_form" and subj_cat == "person" and rng.random() < 0.2:
            return "control"
        r = rng.random()
        if subj_cat != "person":
            return "intr" if r < 0.45 else "tr"
        if depth >= 3:
            return "intr" if r < 0.4 else "tr"
        for frame, cum in (
            ("intr", 0.26),
            ("tr", 0.62),
            ("opt", 0.74),
            ("ditr", 0.81),
            ("put", 0.86),
            ("clause", 0.93),
            ("control", 1.0),
        ):
            if r < cum:
                return frame
        return "tr"  # pragma: no cover

    def adjunct(self, tense: str) -> list[Tok]:
        rng = self.rng
        if tense in ("past", "neg_past", "prog_past") and rng.random() < 0.35:
            pool = _ADJUNCTS["past"]
        elif tense == "modal" and rng.random() < 0.3:
            pool = _ADJUNCTS["future"]
        else:
            pool = _ADJUNCTS["any"]
        return [(w, "R") for w in rng.choice(pool).split()]

    # -- clauses --
    def clause(self, depth: int = 0, err: str | None = None, tense: str | None = None) -> list[Tok]:
        """A full clause (subject + verb phrase) with ``err`` in it, if given."""
        rng = self.rng
        cat = "person" if rng.random() < 0.8 or err in ("case_subj", "order_vo") else "animal"
        if err == "order_vo":
            # a nominative pronoun subject, so that "*She the book read." cannot be read as a
            # topicalised object ("Martha, the judge admired.")
            nom, _acc, agr = rng.choice(_PRONOUNS)
            subj: list[Tok] = [(nom, "PRN")]
        else:
            subj, agr = self.noun_phrase(cat, "subj", depth=depth, wrong_case=err == "case_subj")
        vp = self.verb_phrase(cat, agr, depth=depth, err=err, tense=tense)
        if err == "missing_subj":
            return vp
        return subj + vp


# --- sentence shapes -----------------------------------------------------------------------

# Errors are applied while building the main clause, except these: the post errors change
# the finished word list, the question errors need a question.
_POST_ERRORS = ("det_drop", "det_noun_swap", "adj_noun_swap", "doubled")
_QUESTION_ERRORS = ("wh_no_inversion", "wh_filled_gap", "yn_agreement", "yn_verb_form")
_ERROR_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("agreement", 0.16),
    ("verb_form", 0.10),
    ("missing_arg", 0.09),
    ("obj_on_intr", 0.06),
    ("extra_prep", 0.05),
    ("adv_vo", 0.05),
    ("order_vo", 0.04),
    ("case_subj", 0.06),
    ("case_obj", 0.05),
    ("missing_subj", 0.03),
    ("det_drop", 0.08),
    ("det_noun_swap", 0.04),
    ("adj_noun_swap", 0.04),
    ("doubled", 0.07),
    ("wh_no_inversion", 0.03),
    ("wh_filled_gap", 0.02),
    ("yn_agreement", 0.015),
    ("yn_verb_form", 0.015),
)


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    total = sum(w for _, w in pairs)
    r = rng.random() * total
    for name, w in pairs:
        r -= w
        if r < 0:
            return name
    return pairs[-1][0]


def _declarative(g: _Gen, err: str | None) -> list[Tok]:
    """A declarative sentence; ``err`` (a build error or None) goes into its main clause."""
    rng = g.rng
    shape = _weighted(
        rng,
        (
            ("simple", 0.62),
            ("embed", 0.12),
            ("coord", 0.07),
            ("subord", 0.09),
            ("front", 0.06),
            ("long", 0.04),
        ),
    )
    if shape == "simple":
        return g.clause(err=err)
    if shape == "embed":
        subj, agr = g.noun_phrase("person", "subj", wrong_case=err == "case_subj")
        inner_err = (
            err if err and err not in ("case_subj", "missing_subj") and rng.random() < 0.4 else None
        )
        main_err = None if inner_err else err
        comp = ([("that", "C")] if rng.random() < 0.7 else []) + g.clause(depth=1, err=inner_err)
        tense = g.pick_tense(
            main_err if main_err in ("agreement", "verb_form", "missing_subj") else None,
            allow_prog=False,
        )
        vg = g._vg(rng.choice(_CLAUSAL), agr, tense, main_err)
        if main_err in (
            "missing_arg",
            "obj_on_intr",
            "extra_prep",
            "adv_vo",
            "order_vo",
            "case_obj",
        ):
            # these need a verb with an object: put them in the embedded clause instead
            comp = [("that", "C")] + g.clause(depth=1, err=main_err)
        head = [] if main_err == "missing_subj" else subj
        return head + vg + comp
    if shape == "coord":
        first = g.clause(err=err)
        second = g.clause(depth=1)
        if rng.random() < 0.5 and err != "missing_subj":  # "John sang and left." is fine
            first, second = second, first
        return first + [(rng.choice(("and", "and", "but", "so")), "C")] + second
    if shape == "subord":
        main = g.clause(err=err)
        sub = [(rng.choice(_SUBORD), "C")] + g.clause(depth=1, tense=rng.choice(_SUB_TENSES))
        if rng.random() < 0.3 and err != "missing_subj":
            return sub + [(",", "PU")] + main
        return main + sub
    if shape == "front":
        adj = g.adjunct("any")  # not "yesterday": the clause may be in the future
        body = g.clause(err=err)
        for _ in range(5):  # not "At home, John slept at home."
            if not _contains(body, adj):
                break
            body = g.clause(err=err)
        return adj + ([(",", "PU")] if rng.random() < 0.5 else []) + body
    # long: chained clauses
    parts = g.clause(err=err)
    for _ in range(rng.choice((1, 2, 2, 3, 3))):
        link = rng.choice(
            (
                "and",
                "but",
                "because",
                "although",
                "while",
                "so",
                "after",
                "before",
                "and then",
                "because everyone knew that",
                "although it seemed that",
                "and it turned out that",
            )
        )
        if rng.random() < 0.3:
            subj, agr = g.noun_phrase("person", "subj", depth=1, rel_p=0.3)
            parts += (
                [(w, "C") for w in link.split()]
                + subj
                + g._vg(rng.choice(_CLAUSAL), agr, g.pick_tense(None, False), None)
                + [("that", "C")]
            )
            parts += g.clause(depth=2)
        else:
            tense = rng.choice(_SUB_TENSES) if link in _SUBORD else None
            parts += [(w, "C") for w in link.split()] + g.clause(depth=1, tense=tense)
    return parts


def _contains(toks: Sequence[Tok], part: Sequence[Tok]) -> bool:
    words, sub = [w for w, _ in toks], [w for w, _ in part]
    return any(words[i : i + len(sub)] == sub for i in range(len(words) - len(sub) + 1))


_DO_TENSES = ("pres", "past")


def _question(g: _Gen, err: str | None) -> list[Tok]:
    """A yes/no or wh question (ends with "?")."""
    rng = g.rng
    kind = rng.choice(("yn", "yn", "wh_obj", "wh_obj", "wh_subj", "wh_adv"))
    if err in ("wh_no_inversion", "wh_filled_gap"):
        kind = "wh_obj"
    elif err in ("yn_agreement", "yn_verb_form"):
        kind = rng.choice(("yn", "wh_adv"))
    if kind == "wh_subj":
        cat = rng.choice(("person", "person", "animal"))
        if cat == "person" and rng.random() < 0.6:
            wh = [("who", "W")]
        else:
            wh = [("which", "W"), (rng.choice(_NOUNS[cat])[0], "NS")]
        return wh + g.verb_phrase(
            cat,
            "3sg",
            tense=rng.choice(("past", "pres", "modal", "perf")),
            frame=rng.choice(("intr", "tr", "tr")),
            adjunct_p=0.2,
        )
    cat = "person" if rng.random() < 0.85 else "animal"
    subj, agr = g.noun_phrase(cat, "subj", rel_p=0.0)
    tense = rng.choice(("pres", "past", "past", "modal", "prog", "perf"))
    if err in ("yn_agreement",):
        tense = rng.choice(("pres", "prog", "perf"))
    if err == "yn_verb_form":
        tense = rng.choice(("pres", "past", "modal", "perf"))
    letter = "p" if cat == "person" else "a"
    if kind == "wh_obj":
        forms, _s, objs, _bad = rng.choice([v for v in _TRANSITIVE + _OPTIONAL if letter in v[1]])
        ocat = rng.choice(objs)
        if ocat == "person" and rng.random() < 0.7:
            wh = [(rng.choice(("who", "whom")) if rng.random() < 0.1 else "who", "W")]
        elif rng.random() < 0.6:
            wh = [("what", "W")]
        else:
            wh = [("which", "W"), (rng.choice(_NOUNS[ocat])[0], "NS")]
        vg = _inverted_group(g, forms, agr, tense, None)
        aux, main = vg[:-1], vg[-1:]
        rest: list[Tok] = []
        if err == "wh_filled_gap":
            rest = g.noun_phrase(ocat, "obj", depth=1, rel_p=0.0)[0]
        if rng.random() < 0.25:
            rest += g.adjunct(tense)
        if err == "wh_no_inversion":
            if aux and rng.random() < 0.6:
                return wh + subj + aux + main + rest
            return wh + subj + g.verb_group(forms, agr, "past") + rest
        return wh + aux + subj + main + rest
    # yes/no question, or one with when/why/where/how in front
    frame = g.pick_frame(None, cat, 1)
    if frame in ("clause", "control", "put"):  # no "*Where did she put it on the shelf?"
        frame = "tr"
    vp = g.verb_phrase(cat, agr, depth=1, tense="base", frame=frame, adjunct_p=0.2)
    forms_base = vp
    # replace the base verb group by an inverted one: find the main verb (first V)
    vi = next(i for i, (_, t) in enumerate(forms_base) if t == "V")
    verb = forms_base[vi][0]
    forms = _lookup_forms(verb)
    vg = _inverted_group(
        g,
        forms,
        agr,
        tense,
        "agreement" if err == "yn_agreement" else "verb_form" if err == "yn_verb_form" else None,
    )
    aux, main = vg[:-1], vg[-1:]
    body = forms_base[:vi] + main + forms_base[vi + 1 :]
    wh: list[Tok] = []
    if kind == "wh_adv":
        wh = [(rng.choice(("why", "when", "where", "how")), "W")]
    return wh + aux + subj + body


def _inverted_group(
    g: _Gen, forms: Sequence[str], agr: str, tense: str, err: str | None
) -> list[Tok]:
    """Auxiliary + main verb for a question; simple tenses get do-support."""
    rng = g.rng
    base, s, past, pp, ing = forms
    if tense in _DO_TENSES:
        if tense == "past":
            do = "did"
        else:
            do = "does" if _agr_s(agr) != (err == "agreement") else "do"
        main = base
        if err == "verb_form":
            main = rng.choice([f for f in (s, past, ing) if f != base])
        return [(do, "X"), (main, "V")]
    if tense == "modal" and err == "agreement":
        tense = "perf"
    return g.verb_group(forms, agr, tense, err)


_FORMS_BY_WORD: dict[str, tuple[str, ...]] = {}


def _lookup_forms(word: str) -> tuple[str, ...]:
    if not _FORMS_BY_WORD:
        allv = [v[0] for v in _INTRANSITIVE + _TRANSITIVE + _OPTIONAL]
        allv += list(_PUT + _DITRANSITIVE + _CLAUSAL + _CONTROL)
        for forms in allv:
            _FORMS_BY_WORD.setdefault(forms[0], forms)
    return _FORMS_BY_WORD[word]


def _post_error(rng: random.Random, toks: list[Tok], err: str) -> list[Tok] | None:
    """Apply a word-level error to ``toks``; None when the sentence has no place for it."""
    n = len(toks)
    if err == "det_drop":
        spots = [
            i
            for i in range(n - 1)
            if toks[i][1] == "D"
            and (
                toks[i + 1][1] == "NS"
                or (toks[i + 1][1] == "A" and i + 2 < n and toks[i + 2][1] == "NS")
            )
        ]
        if not spots:
            return None
        i = rng.choice(spots)
        return toks[:i] + toks[i + 1 :]
    if err == "det_noun_swap":
        spots = [
            i for i in range(n - 1) if toks[i][1] == "D" and toks[i + 1][1] in ("NS", "NP", "A")
        ]
        if not spots:
            return None
        i = rng.choice(spots)
        return toks[:i] + [toks[i + 1], toks[i]] + toks[i + 2 :]
    if err == "adj_noun_swap":
        # only before the first verb: "John found the box empty." is fine
        first_verb = next((i for i, (_, t) in enumerate(toks) if t in ("V", "X")), n)
        spots = [
            i
            for i in range(1, first_verb - 1)
            if toks[i][1] == "A" and toks[i + 1][1] in ("NS", "NP") and toks[i - 1][1] == "D"
        ]
        if not spots:
            return None
        i = rng.choice(spots)
        return toks[:i] + [toks[i + 1], toks[i]] + toks[i + 2 :]
    if err == "doubled":
        spots = [
            i
            for i in range(n)
            if toks[i][1] in ("D", "X", "T", "P", "V") and toks[i][0] not in ("that", "had")
        ]
        if not spots:
            return None
        i = rng.choice(spots)
        return toks[: i + 1] + toks[i:]
    raise ValueError(err)  # pragma: no cover


def _render(toks: Sequence[Tok], question: bool) -> str:
    words: list[str] = []
    for i, (w, t) in enumerate(toks):
        if w == "a" and t == "D" and i + 1 < len(toks) and toks[i + 1][0][:1].lower() in "aeiou":
            w = "an"
        if t == "PU" and words:
            words[-1] += w
            continue
        words.append(w)
    text = " ".join(words)
    text = text[:1].upper() + text[1:]
    return text + ("?" if question else ".")


def _sentence(rng: random.Random, acceptable: bool) -> str:
    """One acceptable sentence, or one unacceptable sentence with a random kind of error."""
    g = _Gen(rng)
    err = None if acceptable else _weighted(rng, _ERROR_WEIGHTS)
    # Word-level errors need a place in the sentence (adj_noun_swap: an adjective before
    # the first verb, in about one sentence in eight), so retry with new sentences.
    for _ in range(1000):
        question = err in _QUESTION_ERRORS or (err is None and rng.random() < 0.08)
        if question:
            toks = _question(g, err)
        elif err in _POST_ERRORS:
            toks = _declarative(g, None)
            toks = _post_error(rng, toks, err)
            if toks is None:
                continue
        else:
            toks = _declarative(g, err)
        if len(toks) > 48:  # keep the longest sentences under about 60 WordPiece tokens
            continue
        return _render(toks, question)
    raise RuntimeError("could not build a sentence")  # pragma: no cover


def cola_features() -> datasets.Features:
    """The :class:`datasets.Features` of GLUE CoLA (and of :func:`make_cola`)."""
    import datasets

    return datasets.Features(
        {
            "sentence": datasets.Value("string"),
            "label": datasets.ClassLabel(names=list(COLA_LABELS)),
            "idx": datasets.Value("int32"),
        }
    )


def make_cola(seed: int = 0, sizes: Mapping[str, int | None] | None = None) -> datasets.DatasetDict:
    """Generate a stand-in for GLUE CoLA (``nyu-mll/glue``, config ``cola``) from ``seed``.

    Returns a :class:`datasets.DatasetDict` with CoLA's columns and features: ``sentence``
    (string), ``label`` (``ClassLabel`` unacceptable/acceptable) and ``idx`` (int32,
    counting from 0 in each split). ``sizes`` maps each split to generate to its number of
    examples (``None``: that split's default size); the default is train 3000, validation
    500, test 500. About 70% of each split is acceptable (exact counts by largest-remainder
    rounding, shuffled); as in GLUE, the labels of a split named ``test`` are hidden (all
    -1). Sentences are unique within the ``DatasetDict``, start with a capital letter and
    end with a period (or a question mark). The same seed always gives the same data.

    Used in notebooks/02_keras_to_tf_dataset.ipynb.
    """
    import datasets

    split_sizes = _split_sizes(sizes, DEFAULT_COLA_SIZES)
    rng = random.Random(f"standin-cola-{seed}")
    features = cola_features()
    seen: set[str] = set()
    splits = {}
    for split, n in split_sizes.items():
        counts = _largest_remainder(
            n, {"acceptable": ACCEPTABLE_SHARE, "unacceptable": 1 - ACCEPTABLE_SHARE}
        )
        labels = [1] * counts["acceptable"] + [0] * counts["unacceptable"]
        rng.shuffle(labels)
        sentences = []
        for label in labels:
            for _attempt in range(1000):
                sentence = _sentence(rng, acceptable=label == 1)
                if sentence not in seen:
                    break
            else:  # pragma: no cover - only for absurd sizes
                raise ValueError(f"cannot generate {n} distinct sentences for split {split!r}")
            seen.add(sentence)
            sentences.append(sentence)
        if split == "test":
            labels = [-1] * n
        splits[split] = datasets.Dataset.from_dict(
            {"sentence": sentences, "label": labels, "idx": list(range(n))}, features=features
        )
    return datasets.DatasetDict(splits)
