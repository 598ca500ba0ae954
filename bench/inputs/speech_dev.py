"""Development sentences for the offline Polly and Transcribe: the ONLY sentences on which the
engines' settings (eSpeak voice variant and rate, the recogniser's options, segmentation) are
chosen. They are disjoint from the held-out benchmark set (:data:`bench.inputs.speech.SENTENCES`),
which is never used for tuning, so bench/audio.py's word error rate is not tuned on its inputs.

The same kind of ordinary business English (meetings, invoices, support calls, reports), numbers
written as words. The previous 20 development sentences were not kept in the repository; these
replace them.
"""

from __future__ import annotations

SENTENCES = (
    # meetings
    "The team meeting starts at nine and should not take longer than an hour.",
    "Can we schedule a follow up call with the vendor next Tuesday?",
    "The minutes from yesterday's meeting are attached to this message.",
    "We still need a decision on the hiring plan before the end of the month.",
    "Please bring your laptop because we will go through the slides together.",
    "The conference room on the third floor is booked for the whole afternoon.",
    "Our manager wants every department to present its goals for next year.",
    "I think we should invite the legal team to the next discussion.",
    "The deadline for the first phase of the project has moved to October.",
    "Let us start with a quick update from each team member.",
    "The steering committee meets once a month to review the progress of each project.",
    "We ran out of time, so the last two items will be discussed next week.",
    "The new sales manager introduced herself at the start of the meeting.",
    "Could you share your screen so everyone can see the latest numbers?",
    "Action items were assigned to each person with a clear due date.",
    # invoices and finance
    "The supplier sent us a corrected invoice with the right unit prices.",
    "Payment is due within sixty days of the date on the invoice.",
    "We paid the deposit last week and the balance is due on delivery.",
    "The finance team found a duplicate charge on the credit card statement.",
    "Please attach the receipts when you submit your expense report.",
    "The quarterly budget was reduced because sales were lower than planned.",
    "All invoices above ten thousand dollars need a second signature.",
    "The bank charged a small fee for the international transfer.",
    "Our cash flow improved after the largest customer paid its overdue bills.",
    "The auditors asked for copies of all contracts signed last year.",
    "Please send the invoice to our accounts payable team rather than to me.",
    "The discount only applies if the order is paid in full within ten days.",
    "We have to pay the annual license fee for the software in January.",
    "The company reported a net loss for the first time in ten years.",
    "Salaries will be paid one day early because of the public holiday.",
    # support calls
    "Hello, I am calling about a problem with my last order.",
    "The package was delivered to the wrong address on Friday evening.",
    "Could you tell me when the technician will arrive at my house?",
    "I have been waiting on hold for almost twenty minutes.",
    "The agent apologized and offered the customer a discount on the next purchase.",
    "My password does not work and I cannot reset it from the website.",
    "We have received your request and will answer within two working days.",
    "The customer asked to speak with a supervisor about the late delivery.",
    "Please make sure the device is connected to the internet before you try again.",
    "I would like to change the delivery date to next Wednesday.",
    "The product stopped working after only three weeks of normal use.",
    "Our records show that the refund was sent to your bank account yesterday.",
    "Is there anything else I can help you with today?",
    "The caller could not find the serial number on the back of the machine.",
    "We are sorry for the trouble and will replace the item free of charge.",
    # reports
    "Revenue from online sales rose by twelve percent compared to last year.",
    "The report highlights three risks that could delay the product launch.",
    "Employee training costs went down while the number of courses went up.",
    "The number of active users has doubled since the start of the year.",
    "Delivery times improved after we opened the new warehouse in the south.",
    "The survey results will be presented to management at the end of the month.",
    "Energy costs at the factory were much higher during the winter.",
    "Most of our new customers come from small and medium sized businesses.",
    "The analysis shows a clear link between price changes and lower demand.",
    "Customer complaints fell by half after the new support system went live.",
    "The annual report will be published on our website in early April.",
    "Production stopped for two days because a key machine broke down.",
    "The team exceeded its sales target for the third quarter in a row.",
    "Inventory levels are too high for some products and too low for others.",
    "The forecast assumes that interest rates will stay the same next year.",
)
