"""Evidence packets: WACZ files another agency can check with public tools alone.

`packet.export_packet` builds one, `verify.verify_packet` checks one, `handover.hand_over`
records a transfer of custody. Layout and naming live in `layout`.
"""
