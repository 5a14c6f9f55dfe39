// Copyright 2016 The Periph Authors. All rights reserved.
// Use of this source code is governed under the Apache License, Version 2.0
// that can be found in the LICENSE file.

//go:build !arm && !arm64
// +build !arm,!arm64

package distro

const isArm = false
