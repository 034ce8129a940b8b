"""Stand-in for the ``dair-ai/emotion`` dataset: short first-person posts, six emotions.

Used in notebooks/01_trainer_weighted_loss.ipynb, 03_hub.ipynb, 05_accelerate.ipynb.

Each text is a lowercase, unpunctuated, tweet-like sentence ("i feel ...", "im feeling
...") built around one emotion cue word drawn from a per-class lexicon, set in a varied
context. The task is learnable but not trivial: contexts are mostly neutral and shared by
every class, some cue words are shared by two confusable classes (joy/love, fear/surprise,
sadness/anger), and a small share of examples carries a cue word of the confusable class.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import _largest_remainder, _split_sizes
from ._vocab import lines, words

if TYPE_CHECKING:  # pragma: no cover
    import datasets

#: Label names in the order of the real dataset's ``ClassLabel``.
EMOTION_LABELS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise")
#: Share of each label in every split (close to the real dataset's train split).
EMOTION_PROPORTIONS: Mapping[str, float] = {
    "sadness": 0.29,
    "joy": 0.335,
    "love": 0.08,
    "anger": 0.135,
    "fear": 0.12,
    "surprise": 0.04,
}
DEFAULT_EMOTION_SIZES: Mapping[str, int] = {"train": 4000, "validation": 500, "test": 500}

#: Each class and the class it is most easily confused with.
CONFUSABLE: Mapping[str, str] = {
    "sadness": "anger",
    "anger": "sadness",
    "joy": "love",
    "love": "joy",
    "fear": "surprise",
    "surprise": "fear",
}

# Share of examples whose cue word belongs to the confusable class (the label stays put),
# and share whose cue word is one that both classes of the pair use.
_P_CROSS_CUE = 0.07
_P_SHARED_CUE = 0.15
# Share of examples whose context phrase is typical of the label (else a neutral one).
_P_CLASS_CONTEXT = 0.3

_LEXICON: dict[str, tuple[str, ...]] = {
    "sadness": words(
        """
        miserable lonely heartbroken gloomy hopeless depressed sad unhappy devastated
        defeated empty crushed homesick discouraged low neglected unwanted worthless
        melancholy grieving sorrowful disheartened abandoned broken hollow dejected helpless
        inadequate regretful ashamed tearful drained numb lost gutted
        """
    ),
    "joy": words(
        """
        happy cheerful content delighted glad joyful excited thrilled grateful proud relaxed
        satisfied pleased optimistic confident energetic hopeful carefree playful elated
        blessed refreshed peaceful accomplished triumphant jolly upbeat lighthearted
        productive successful calm ecstatic alive free good
        """
    ),
    "love": words(
        """
        loved loving affectionate romantic adored caring devoted tender passionate cherished
        fond longing sentimental nostalgic sympathetic compassionate supportive smitten
        infatuated adoring hot sweet gentle intimate delicate protective faithful accepted
        liked treasured flirty cuddly lovestruck doting
        """
    ),
    "anger": words(
        """
        angry furious irritated annoyed resentful mad outraged hostile grumpy cranky
        agitated enraged livid offended insulted spiteful jealous impatient stubborn cold
        rude dissatisfied vengeful infuriated aggravated irritable fuming wronged disgusted
        greedy ticked_off heated petty vicious cheated
        """
    ),
    "fear": words(
        """
        afraid scared anxious nervous terrified frightened worried uneasy panicked paranoid
        insecure shaky tense restless apprehensive hesitant threatened vulnerable timid
        alarmed fearful jumpy intimidated petrified reluctant doubtful unsure distressed
        on_edge scared_stiff tormented suspicious panicky
        """
    ),
    "surprise": words(
        """
        surprised amazed astonished curious impressed amused dazed speechless awestruck
        bewildered puzzled baffled intrigued mystified dumbfounded flabbergasted taken_aback
        weird strange funny odd blown_away gobsmacked floored caught_off_guard thrown
        spellbound wowed agog
        """
    ),
}

# Cue words that both classes of a confusable pair use.
_SHARED: dict[frozenset[str], tuple[str, ...]] = {
    frozenset({"joy", "love"}): words(
        "warm blissful special appreciated lucky happy_inside tender_hearted"
    ),
    frozenset({"fear", "surprise"}): words(
        "shocked startled overwhelmed stunned shaken rattled jolted"
    ),
    frozenset({"sadness", "anger"}): words(
        "hurt upset bitter betrayed disappointed frustrated fed_up"
    ),
}

# Phrases typical of each class (used for a minority of examples).
_CLASS_CONTEXT: dict[str, tuple[str, ...]] = {
    "sadness": lines(
        """
        since my grandmother passed away
        after the breakup
        when i sit alone in my room
        because nobody remembered my birthday
        after losing my job
        since the funeral
        when i think about everything i lost
        because my best friend moved away
        when i see the empty chair at dinner
        after failing the exam again
        when i scroll through old photos of us
        since my dog died
        because nobody replies to my messages
        every time i come home to an empty house
        """
    ),
    "joy": lines(
        """
        after finishing my first half marathon
        because the sun is finally out
        since i got the acceptance letter
        after a long nap
        since i started my new job
        because our team won the final
        after a great day at the beach
        now that my tomatoes are finally ripe
        after passing my driving test
        because the semester is over
        after getting a raise
        since i paid off my car
        after a morning of yoga
        because payday came early
        """
    ),
    "love": lines(
        """
        when he holds my hand
        whenever she smiles at me
        when my husband cooks for me
        around my boyfriend
        when i look at my newborn son
        when we cuddle on the couch
        after our anniversary dinner
        when my wife kisses me goodnight
        when my girlfriend sings to me
        whenever my grandma hugs me
        when he writes me little notes
        when we dance in the kitchen
        when my partner brings me coffee in bed
        when my daughter falls asleep on my chest
        """
    ),
    "anger": lines(
        """
        when people cut in line
        because my landlord ignored me again
        when my coworker takes credit for my work
        after waiting two hours on hold
        when someone lies to my face
        because the neighbors are blasting music again
        when drivers tailgate me
        because my package was stolen from the porch
        when my brother reads my texts
        after the airline lost my luggage
        when my boss yells in meetings
        because they raised the rent again
        when people talk during the movie
        after being overcharged at the garage
        """
    ),
    "fear": lines(
        """
        before my job interview
        when i walk home alone at night
        about the surgery next week
        when the plane shakes
        about the test results
        when i hear noises downstairs
        about speaking in front of the whole class
        when the phone rings late at night
        about driving on the highway
        before the dentist appointment
        when the storm knocked out the power
        about the layoffs at work
        when i lose sight of my kids in a crowd
        about moving to a country where i know nobody
        """
    ),
    "surprise": lines(
        """
        when i opened the letter
        after seeing how much my hometown had changed
        when the results came in
        when my old roommate showed up at the door
        after learning the truth about the old house
        by how quickly it all happened
        when i found out i won the raffle
        when the magician pulled it off
        when my quiet cousin announced she was getting married
        at the plot twist
        when the bill came out so low
        at how much the kids had grown
        when a stranger paid for my groceries
        at the ending of the book
        """
    ),
}

# Contexts that every class uses.
_NEUTRAL_CONTEXT: tuple[str, ...] = lines(
    """
    about my job
    at work today
    around my family
    after talking to my mom
    about the whole situation
    right now
    this week
    these days
    lately
    about going back to school
    whenever i go to the gym
    about the move
    about my writing
    after class
    when i get home from work
    this morning
    on sunday evenings
    about the future
    about my body
    in this new apartment
    about the way things are going
    at the end of the day
    when i wake up
    about my relationship with food
    around other people
    in my own skin
    about this blog
    about my decision
    after the meeting
    at the moment
    when i look in the mirror
    on the bus ride home
    about the holidays
    about what happened
    whenever i visit my parents
    about my career
    since the beginning of the year
    for no particular reason
    today
    about turning thirty
    when i am in the kitchen
    about the project
    """
)

_OPENERS: tuple[str, ...] = lines(
    """
    today
    this morning
    tonight
    right now
    honestly
    lately
    sometimes
    every now and then
    when i got home
    after work
    as i write this
    on the way home
    at the end of the day
    for the first time in a while
    after dinner
    this weekend
    most days
    ever since last summer
    to be honest
    at this point
    as i sit here
    when i think about it
    """
)

_TAILS: tuple[str, ...] = lines(
    """
    and i dont know what to do about it
    so i thought i would write about it
    and i wanted to share it with someone
    but maybe that is normal
    if that makes any sense
    and it is only tuesday
    so here i am writing again
    and honestly i am not sure why
    but life goes on
    and i just needed to say it
    which is new for me
    and i cant explain it
    more than i expected
    and i think it shows
    even though nothing has really changed
    and i am trying to be honest about it
    but i am going to bed now
    so i made a cup of tea
    and i keep coming back to it
    and it shows in my work
    and i am not ashamed to admit it
    like i have not felt in years
    which i did not expect at all
    and that is okay
    all day long
    """
)

_ACTIVITIES: tuple[str, ...] = lines(
    """
    go to work
    open my laptop
    walk past that house
    call my sister
    check my phone
    drive through the old neighborhood
    read the news
    go to the grocery store
    start a new project
    hear that song
    log into facebook
    sit down to write
    pass the school
    look at the calendar
    make dinner
    """
)

_TOPICS: tuple[str, ...] = lines(
    """
    my job
    the trip
    my sister
    the new house
    school
    the wedding
    my health
    the election
    my friends
    the move
    this year
    the weekend
    my family
    the book i am writing
    our plans
    the kids
    my body
    the garden
    money
    the past
    my neighbors
    church
    the team
    """
)

# Words before the cue; an empty one (no intensifier) five times as often as each other.
_INTENSIFIERS: tuple[str, ...] = ("",) * 5 + tuple(
    w + " "
    for w in words(
        """
        so really very a_bit a_little kind_of quite pretty incredibly totally rather
        extremely somewhat truly strangely oddly deeply more super a_tad
        """
    )
)

# {a}: intensifier, {c}: cue word, {x}: context, {o}: opener, {t}: tail, {t2}: second tail,
# {act}: activity, {top}: topic.
_TEMPLATES: tuple[str, ...] = lines(
    """
    i feel {a}{c} {x}
    i feel {a}{c} {t}
    im feeling {a}{c} {x}
    im feeling {a}{c} {x} {t}
    i cant help feeling {a}{c} {x}
    i have been feeling {a}{c} {x}
    i have been feeling {a}{c} {x} {t}
    {o} i feel {a}{c}
    {o} i feel {a}{c} {x}
    {o} i felt {a}{c} {x} {t}
    i was feeling {a}{c} {x}
    i am feeling {a}{c} {t}
    i still feel {a}{c} {x}
    i just feel {a}{c} {x}
    i always feel {a}{c} {x}
    i feel {a}{c} every time i {act}
    i left the house feeling {a}{c} {t}
    i woke up feeling {a}{c} {t}
    i remember feeling {a}{c} {x}
    i dont know why but i feel {a}{c} {x}
    i feel like im {a}{c} {x}
    i started to feel {a}{c} {x}
    i didnt expect to feel {a}{c} {x}
    i guess i feel {a}{c} {x} {t}
    i feel {a}{c} about {top}
    i feel {a}{c} when i think about {top}
    i keep feeling {a}{c} {x}
    i didnt feel {c} {x}
    i know it sounds silly but i feel {a}{c} {x}
    i can feel myself getting {a}{c} {x}
    {o} i am feeling {a}{c} about {top} {t}
    i feel {a}{c} and i {act} anyway
    i tend to feel {a}{c} {x}
    i feel so {c} i could scream {x}
    ive been feeling {a}{c} {x}
    i never thought i would feel this {c} {x}
    when i {act} i feel {a}{c}
    i feel {a}{c} but i {act} anyway {t}
    i often feel {a}{c} {x} and {t2}
    """
)

_T2: tuple[str, ...] = lines(
    """
    i wish i could change that
    nobody seems to notice
    i want to remember it
    that is just how it is
    i should probably talk to someone
    i want to write it down
    """
)

# Neutral clauses that lengthen some posts, before or after the feeling.
_PRE: tuple[str, ...] = lines(
    """
    i have been so busy with work and the kids that i barely had time to think and
    it has been a long week and
    i spent the whole afternoon cleaning the garage and
    so i finally sat down to write this post and
    i am sitting on the porch with my coffee and
    after a week of rain and too many meetings
    i went for a walk around the lake and
    i was scrolling through my phone before bed and
    my sister called this afternoon and
    we drove four hours to see my parents and
    i finished the last chapter last night and
    i got back from the store and
    the semester started on monday and
    i have not posted in a while because things have been hectic but
    i spent most of the day on the couch watching old movies and
    i tried a new recipe for dinner tonight and
    we had friends over for a barbecue and
    i signed up for a pottery class on a whim and
    the kids are finally asleep and
    i took the long way home through the park and
    """
)

_POST: tuple[str, ...] = lines(
    """
    and i think i need a long weekend away from everything
    so i am going to make some tea and read for a while
    but i guess we will see what tomorrow brings
    and i keep thinking about what my mother used to say about days like this
    and i want to remember this moment when things get hard again
    even though i have a million other things i should be doing
    and i am not sure anyone else would understand
    because i have not slept properly in days
    and i wonder if anyone else feels the same way about it
    so i decided to write it all down here before i forget
    and i do not really want to talk about it with anyone yet
    which is probably why i have been eating so much chocolate
    and my husband says i should take up running again
    but i have to get up early for work tomorrow
    and the cat will not stop staring at me
    and i really need to figure out what to do next
    """
)


def _cue(rng: random.Random, label: str) -> str:
    r = rng.random()
    if r < _P_CROSS_CUE:
        return rng.choice(_LEXICON[CONFUSABLE[label]])
    if r < _P_CROSS_CUE + _P_SHARED_CUE:
        return rng.choice(_SHARED[frozenset({label, CONFUSABLE[label]})])
    return rng.choice(_LEXICON[label])


def _text(rng: random.Random, label: str) -> str:
    template = rng.choice(_TEMPLATES)
    cue = _cue(rng, label)
    if rng.random() < _P_CLASS_CONTEXT:
        context = rng.choice(_CLASS_CONTEXT[label])
    else:
        context = rng.choice(_NEUTRAL_CONTEXT)
    text = template.format(
        a=rng.choice(_INTENSIFIERS),
        c=cue,
        x=context,
        o=rng.choice(_OPENERS),
        t=rng.choice(_TAILS),
        t2=rng.choice(_T2),
        act=rng.choice(_ACTIVITIES),
        top=rng.choice(_TOPICS),
    )
    r = rng.random()
    if r < 0.22:
        text = f"{rng.choice(_PRE)} {text}"
    elif r < 0.44:
        text = f"{text} {rng.choice(_POST)}"
    elif r < 0.52:
        text = f"{rng.choice(_PRE)} {text} {rng.choice(_POST)}"
    tokens = text.split()
    if len(tokens) < 5:  # keep the shortest posts at five words or more
        tokens += rng.choice(_TAILS).split()
    return " ".join(tokens)


def emotion_features() -> datasets.Features:
    """The :class:`datasets.Features` of ``dair-ai/emotion`` (and of :func:`make_emotion`)."""
    import datasets

    return datasets.Features(
        {
            "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=list(EMOTION_LABELS)),
        }
    )


def make_emotion(
    seed: int = 0, sizes: Mapping[str, int | None] | None = None
) -> datasets.DatasetDict:
    """Generate a stand-in for the ``dair-ai/emotion`` dataset, deterministically from ``seed``.

    Returns a :class:`datasets.DatasetDict` whose splits have the real dataset's columns and
    features: ``text`` (string) and ``label`` (``ClassLabel`` with names sadness, joy, love,
    anger, fear, surprise, in that order). ``sizes`` maps each split to generate to its
    number of examples (``None``: that split's default size); the default is train 4000,
    validation 500, test 500. Every split has the real label proportions (sadness 0.29,
    joy 0.335, love 0.08, anger 0.135, fear 0.12, surprise 0.04), with exact counts by
    largest-remainder rounding, in an order shuffled with the seed. Texts are unique across
    the whole ``DatasetDict``, and the same seed always gives the same data.

    Used in notebooks/01_trainer_weighted_loss.ipynb, 03_hub.ipynb, 05_accelerate.ipynb.
    """
    import datasets

    split_sizes = _split_sizes(sizes, DEFAULT_EMOTION_SIZES)
    rng = random.Random(f"standin-emotion-{seed}")
    features = emotion_features()
    seen: set[str] = set()
    splits = {}
    for split, n in split_sizes.items():
        counts = _largest_remainder(n, EMOTION_PROPORTIONS)
        labels = [label for label in EMOTION_LABELS for _ in range(counts[label])]
        rng.shuffle(labels)
        texts = []
        for label in labels:
            for _attempt in range(1000):
                text = _text(rng, label)
                if text not in seen:
                    break
            else:  # pragma: no cover - only for absurd sizes
                raise ValueError(f"cannot generate {n} distinct texts for split {split!r}")
            seen.add(text)
            texts.append(text)
        ids = [EMOTION_LABELS.index(label) for label in labels]
        splits[split] = datasets.Dataset.from_dict({"text": texts, "label": ids}, features=features)
    return datasets.DatasetDict(splits)
