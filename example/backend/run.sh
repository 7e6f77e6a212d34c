#!/bin/sh
echo "backend: hello from slipway's example"
