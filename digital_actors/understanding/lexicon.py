"""The closed word classes the analysis reads: negators, interjections, question words, markers.

Every word here is in the normalised form ``words.normalise_words`` produces (lower case,
contractions expanded: "didn't" is "did not"). The lists are small on purpose: they hold
function words, whose meaning does not depend on the scene.
"""

from __future__ import annotations

Phrase = tuple[str, ...]

NEGATORS = frozenset({
    "not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "nowhere", "without",
    "hardly", "barely", "scarcely", "nope", "nah", "deny", "denies", "denied",
})
# Phrases that hold a negator but negate nothing after them ("no problem, I'll do it").
NEUTRAL_NEGATIONS: tuple[Phrase, ...] = (
    ("no", "problem"), ("no", "worries"), ("no", "doubt"), ("without", "a", "doubt"),
    ("do", "not", "worry"), ("do", "not", "panic"), ("do", "not", "be", "afraid"),
    ("do", "not", "be", "scared"), ("never", "mind"), ("not", "going", "to", "lie"),
    ("will", "not", "lie"), ("no", "matter"), ("not", "bad"), ("no", "offence"), ("no", "offense"),
    ("no", "kidding"), ("not", "only"), ("not", "to", "mention"), ("nothing", "but"),
    ("no", "wonder"), ("can", "not", "wait"), ("can", "not", "believe"), ("not", "gonna", "lie"),
)
# "Why don't you tell me?", "why not ask him?": a suggestion, not a denial of what follows.
SUGGESTIONS: tuple[Phrase, ...] = (
    ("why", "do", "not", "you"), ("why", "do", "not", "we"), ("why", "do", "not", "i"), ("why", "not"),
    ("do", "not", "you", "think"),
)
# Words that carry no content of their own; a clause of only these and a keyword is the keyword.
INTERJECTIONS = frozenset({
    "oh", "um", "umm", "uh", "uhh", "er", "erm", "hmm", "hm", "ah", "ahh", "aha", "well", "so",
    "ok", "okay", "yes", "yeah", "yep", "yup", "sure", "right", "alright", "like", "just", "maybe",
    "perhaps", "wait", "look", "listen", "man", "dude", "gosh", "actually", "anyway", "then",
    "now", "huh", "eh", "really", "definitely", "certainly", "obviously", "see", "i", "think",
    "guess", "mean", "uhm", "ooh", "wow", "please", "again", "hmmm",
})
AUXILIARIES = frozenset({
    "am", "is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would",
    "shall", "should", "have", "has", "had", "may", "might", "must",
})
WH_ALWAYS = frozenset({"why", "how", "who", "whom", "whose", "which"})
WH_WITH_AUX = frozenset({"what", "where", "when"})  # a question only when an auxiliary follows
SUBJECTS = frozenset({
    "i", "you", "he", "she", "it", "we", "they", "there", "this", "that", "these", "those",
    "the", "a", "an", "my", "your", "his", "her", "our", "their", "someone", "somebody",
    "anyone", "anybody", "everyone", "everybody", "nobody", "one",
})
PRONOUN_SUBJECTS = frozenset({"i", "you", "he", "she", "it", "we", "they", "there", "this", "that"})
REQUEST_MODALS = frozenset({"can", "could", "would", "will"})
# Conditionals make their whole clause hypothetical, wherever they stand in it.
CONDITIONALS = frozenset({
    "if", "unless", "suppose", "supposing", "imagine", "pretend", "hypothetically",
    "theoretically", "assuming", "whether", "wish",
})
CONDITIONAL_PHRASES: tuple[Phrase, ...] = (("let", "us", "say"), ("in", "theory"), ("as", "if"))
SENTENCE_HYPOTHETICALS = frozenset({"hypothetically", "theoretically"})
MODALS = frozenset({"would", "could", "might"})
PERFECT_MODALS = frozenset({"should", "must", "may"})  # hypothetical only with "have": "should have"
# After a modal these make a wish, a request or a hedged statement, not a hypothesis.
MODAL_EXCEPTIONS = frozenset({
    "like", "love", "rather", "prefer", "appreciate", "say", "guess", "think", "bet", "imagine",
})
REPORT_VERBS = frozenset({
    "say", "says", "said", "saying", "claim", "claims", "claimed", "claiming", "think", "thinks",
    "thought", "believe", "believes", "believed", "reckon", "reckons", "suspect", "suspects",
    "insist", "insists", "insisted", "allege", "alleges", "alleged", "swear", "swears", "swore",
    "told", "tell", "tells", "telling",
})
REPORT_ADVERBS = frozenset({"allegedly", "supposedly", "apparently", "reportedly"})
# Words skipped when looking back from a report verb for its subject ("you keep saying").
REPORT_SKIP = frozenset({
    "will", "would", "could", "should", "might", "must", "can", "do", "does", "did", "am", "is",
    "are", "was", "were", "have", "has", "had", "be", "been", "being", "not", "never", "always",
    "just", "really", "also", "even", "still", "all", "keep", "keeps", "kept", "to", "me", "us",
    "him", "her", "them", "want", "wants", "wanted", "going", "gonna", "probably", "actually",
    "honestly", "clearly", "obviously", "literally", "basically", "ever", "only", "seriously",
})
FIRST_PERSON = frozenset({"i", "we"})
SARCASM: tuple[Phrase, ...] = (
    ("yeah", "right"), ("oh", "sure"), ("yeah", "sure"), ("sure", "sure"), ("as", "if"),
    ("oh", "totally"), ("oh", "of", "course"), ("like", "i", "would"), ("like", "that", "would"),
    ("in", "your", "dreams"), ("dream", "on"), ("when", "pigs", "fly"), ("pigs", "might", "fly"),
    ("get", "real"), ("big", "surprise"), ("what", "a", "surprise"), ("thanks", "for", "nothing"),
    ("just", "kidding"), ("jk",), ("kidding",), ("joking",), ("lol",), ("lmao",),
    ("you", "call", "this"), ("you", "call", "that"), ("and", "i", "am", "the"),
)
RETRACTORS = frozenset({"no", "nope", "nah", "never", "not"})
RETRACT_FOLLOWERS = frozenset({"wait", "actually", "sorry", "hang"})
# Conjunctions that always open a new clause, and those that do only before a subject.
SPLITTERS = frozenset({"but", "because", "although", "though", "however", "whereas", "yet"})
SPLITTERS_BEFORE_SUBJECT = frozenset({
    "and", "or", "so", "when", "while", "until", "till", "after", "before", "since", "if",
    "unless", "whether", "then",
})
# Question tags: a sentence ending in one asks only the tag, and the statement before it stands
# ("It was Curtis right?"). Also any auxiliary, "not" and a pronoun ("didn't you", "is it not").
TAGS: tuple[Phrase, ...] = (
    ("right",), ("okay",), ("alright",), ("all", "right"), ("yeah",), ("eh",), ("innit",), ("you", "know"),
    ("do", "not", "you", "think"), ("is", "that", "right"), ("is", "not", "that", "right"), ("am", "i", "right"),
)
TAG_PRONOUNS = frozenset({"i", "you", "he", "she", "it", "we", "they", "there", "that"})
# "right" and "okay" complete what these words begin ("It's okay?", "Turn right?", "all right"): no tag then.
PREDICATE_TAGS = frozenset({"right", "okay", "alright", "all"})
NOT_BEFORE_TAG = frozenset({
    "be", "is", "are", "am", "was", "were", "been", "being", "'s", "feel", "feels", "felt", "look", "looks",
    "seem", "seems", "sound", "sounds", "go", "goes", "went", "gone", "going", "turn", "turns", "turned", "do",
    "does", "did", "done", "doing", "get", "gets", "got", "all", "or", "and", "the", "to", "on", "at", "not",
    "very", "so", "pretty", "quite", "just", "exactly", "totally", "perfectly", "completely",
})
ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "mt", "jr", "sr", "prof", "capt", "lt", "sgt", "det"})

# --- keyword classes ----------------------------------------------------------------------
# A speech act is performed by saying it: a greeting, thanks, an apology, "please".
SPEECH_ACTS = frozenset({
    "hello", "hi", "hey", "hiya", "howdy", "greetings", "evening", "morning", "good evening",
    "good morning", "good afternoon", "good night", "nice to meet you", "pleased to meet you",
    "good to meet you", "thanks", "thank you", "thank", "cheers", "much appreciated", "sorry",
    "please", "pretty please", "copy", "copy that", "roger", "roger that", "ta",
})
SPEECH_OPENERS = frozenset({"thanks", "thank", "sorry", "hello", "hi", "hey", "cheers", "please"})
# Verbs that open imperative keywords ("take your time"): a keyword that starts with one is a claim.
IMPERATIVES = frozenset({
    "tell", "take", "go", "give", "share", "send", "open", "get", "let", "stay", "hang", "talk",
    "speak", "say", "call", "turn", "switch", "find", "stop", "shut", "arrest", "pick", "keep",
    "make", "work", "come", "show", "prove", "play", "start", "screw", "fuck", "trace", "kick",
    "help", "listen", "wait", "bring", "put", "leave", "run", "look", "breathe", "flood",
    "stir", "add", "feed", "read", "sign", "mend", "blow", "crank", "seal", "hold", "trust",
    "believe", "forget", "calm", "save", "kill", "hurt", "push", "rob", "steal", "hit",
})
PREPOSITIONS = frozenset({
    "at", "by", "around", "about", "after", "before", "in", "on", "off", "out", "with", "for",
    "from", "to", "into", "across", "outside", "inside", "between", "since", "until", "till",
    "under", "over", "of",
})
IRREGULAR_PAST = frozenset({
    "did", "was", "were", "said", "told", "knew", "went", "saw", "met", "took", "gave", "left",
    "got", "came", "made", "drove", "ran", "hit", "broke", "found", "felt", "kept", "thought",
    "heard", "lost", "paid", "sent", "stole", "swore", "threw", "wrote", "fell", "chose",
    "held", "sat", "stood", "slept", "woke", "done", "gone", "seen", "been", "known", "given",
    "taken", "shut", "put", "let", "owed", "owes", "is", "are", "am",
})
