#!/bin/sh
cat /app/index.html
