"""Words that are never a name someone gives for themselves, and titles that may precede one.

"I'm scared", "call me crazy", "this is bad", "it's fine" share their shape with "I'm Sam":
the word after the phrase is what tells them apart. The list holds function words and the
states, moods and roles people say they are; a word not here may be a name.
"""

from __future__ import annotations

NOT_NAMES = frozenset("""
a about above absolutely across actually afraid after again against ago ahead alive all almost alone along
already alright also always am amazed amazing american an and angry annoyed another any anybody anyone
anything anyway anywhere apprentice are around as ashamed asleep at awake aware away awful back bad barely
be because been before behind being below beside best better between beyond bit bleeding bored both
brave british broke broken busy but by calling calm can captain careful certain clear close closer
cold come comfortable coming confused cool correct could crazy crying curious dad damn dark daughter dead
dear definitely detective did dizzy do doctor does doing done down drowning drunk dude dumb dying each
early easy eh either else embarrassed empty engineer english enough even ever every everybody everyone
everything exactly excited exhausted fair faint falling far fat fed feeling few fine finished first
for forward free freezing french friend from frozen full fun funny game gay getting girl glad going
gone good great grounded guessing guilty had half happy hard has have having he hearing heavy
hello help her here hers herself hey hi him himself his home honest honestly hopeful hopeless hot
how however hungry hurt i if ill important in innocent inside into irish is it its itself just keen
keeper kidding kind late later lazy leaving left less like likely listening little lonely looking
lost loud lucky mad maybe me mean meant mine more most mostly mr mrs ms much mum must my myself
near nearly need needed nervous never new next nice no nobody none nope normal not nothing now
number nurse of off officer ok okay old on once one only open or other our ours out outside over
own pain panicking part perfect person please pleased plenty poor positive pretty probably proud quick
quiet quite ready real really relieved right rude sad safe same scared scottish screwed second serious
seriously shaking she shocked short shy sick silly sir sleepy slow small so sober some somebody someone
something sometimes son sorry speaking standing starving still stressed strong stuck stupid such sure
surprised swear talking tall telling terrible terrified than thankful thanks that the their theirs them
then there these they thing thinking thirsty this those though through tired to too totally trapped
trying two ugly uncomfortable under unsure up upset us useless very waiting want was watching way we
weak weird well were wet what when where which while who whole why wife with within without
woman won worried worse worst would wrong yeah yes yet you your yours yourself
btw bye cheers dunno idk lol ok okay pls thx ty
fault here's joking lying kidding sure thinking wondering worried guilty stuck cold warm hot
morning evening night afternoon today tonight tomorrow yesterday name named called call
sat stood knackered beat spent toast wrecked soaked dr prof capt lt sgt det mx miss
huh hmm hm um umm uh uhh uhm er erm ah ahh ooh mm mmm meh nah yep yup whatever pardon
""".split())

TITLES = frozenset({
    "detective", "dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "officer", "captain", "capt",
    "sergeant", "sgt", "inspector", "professor", "prof", "agent", "lieutenant", "lt",
    "constable", "sir", "lady", "lord", "nurse", "commander", "chief",
})
