// Copyright 2019 The Periph Authors. All rights reserved.
// Use of this source code is governed under the Apache License, Version 2.0
// that can be found in the LICENSE file.

// Package netlink implements host drivers based on the Linux netlink connector
// interface. See
// https://www.kernel.org/doc/Documentation/connector/connector.txt for details.
package netlink
