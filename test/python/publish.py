"""paho-mqtt publishes to a broker: python3 publish.py PORT PROTOCOL(4|5) TOPIC QOS HEX...

Publishes one message per HEX argument (the payload as hexadecimal; "" for an empty payload)
on TOPIC at QOS, waits for each to complete its flow, and disconnects. Exits non-zero if the
broker refuses or a wait times out.
"""
import sys

import paho.mqtt.client as mqtt

port, protocol, topic, qos = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
payloads = [bytes.fromhex(text) for text in sys.argv[5:]]
version = mqtt.MQTTv5 if protocol == 5 else mqtt.MQTTv311

client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"paho-pub-{protocol}", protocol=version)
client.connect("127.0.0.1", port, keepalive=30)
client.loop_start()
for payload in payloads:
    info = client.publish(topic, payload, qos=qos)
    info.wait_for_publish(timeout=5)
    if not info.is_published():
        sys.exit(f"publish of {len(payload)} bytes did not complete")
client.disconnect()
client.loop_stop()
