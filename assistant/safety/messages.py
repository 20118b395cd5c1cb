"""What a reader is shown when a message shows risk: the crisis reply, the lines, one gentle line."""

CRISIS_MESSAGE = """\
It sounds like you're carrying something really heavy right now, and I'm glad \
you said it out loud. You deserve support from a real person, today.

I'm only a reading assistant: I'm not a crisis service or a therapist, and I \
can't help with this safely. Please reach out to someone who can, right now:

- **US:** call or text **988** (Suicide & Crisis Lifeline). In an emergency, call **911**.
- **UK and Ireland:** call Samaritans on **116 123**, free, day or night.
- **Australia:** call Lifeline on **13 11 14**. In an emergency, call **000**.
- **Anywhere else:** call your local emergency number, or look up a crisis line in your country.

If you can, tell someone near you how you're feeling, and stay with them or \
somewhere safe while you call. You don't have to get through this alone.
"""

CRISIS_RESOURCES = """\
**If you are struggling or thinking about suicide or self-harm, you don't have to face it alone.** \
US: call or text **988** (emergency **911**) · UK and Ireland: Samaritans **116 123** · \
Australia: Lifeline **13 11 14** (emergency **000**) · Elsewhere: your local emergency number or crisis line.
"""

# Shown above the answer when a message touches on the topic without a clear crisis.
CONCERN_NOTE = (
    "Some of what you wrote sounds hard. If any of it is about hurting yourself, "
    "please talk to someone today; the lines below are free and open now."
)
