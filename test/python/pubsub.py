"""paho-mqtt against a broker: python3 pubsub.py PORT PROTOCOL(4|5).

Subscribes at QoS 1 and 2, publishes one message at each QoS, and prints what arrived as
"topic payload qos" lines, sorted. Exits non-zero if the broker refuses or a wait times out.
"""
import sys
import time

import paho.mqtt.client as mqtt

port, protocol = int(sys.argv[1]), int(sys.argv[2])
version = mqtt.MQTTv5 if protocol == 5 else mqtt.MQTTv311
received = []


def client(name):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, protocol=version)
    c.connect("127.0.0.1", port, keepalive=30)
    c.loop_start()
    return c


sub = client(f"paho-sub-{protocol}")
sub.on_message = lambda c, userdata, message: received.append(f"{message.topic} {message.payload.decode()} {message.qos}")
sub.subscribe([("paho/#", 2)])
time.sleep(0.3)
pub = client(f"paho-pub-{protocol}")
for qos in (0, 1, 2):
    pub.publish(f"paho/q{qos}", f"m{qos}", qos=qos).wait_for_publish(timeout=5)
deadline = time.time() + 5
while len(received) < 3 and time.time() < deadline:
    time.sleep(0.02)
for c in (pub, sub):
    c.loop_stop()
    c.disconnect()
print("\n".join(sorted(received)))
sys.exit(0 if len(received) == 3 else 1)
